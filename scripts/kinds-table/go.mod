module kgen
go 1.22
