module kinds-table
go 1.22
