Kind = "service-defualts"
Name = "draft"
