Kind = "mesh"
Name = "mesh"
