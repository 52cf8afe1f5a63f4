// Command kinds-table prints the body of meshplan's table of Consul's config-entry fields
// (src/model/schema/table.rs), read from the Go source of Consul's agent/structs package given
// as the only argument: Go's parser only, Consul is not compiled. Kinds are those of
// structs.MakeConfigEntry; acl.EnterpriseMeta gives Namespace and Partition, RaftIndex the
// indexes; map[string]interface{} and interface{} are opaque.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unicode"
)

var kinds = [][2]string{
	{"service-defaults", "ServiceConfigEntry"},
	{"proxy-defaults", "ProxyConfigEntry"},
	{"service-router", "ServiceRouterConfigEntry"},
	{"service-splitter", "ServiceSplitterConfigEntry"},
	{"service-resolver", "ServiceResolverConfigEntry"},
	{"ingress-gateway", "IngressGatewayConfigEntry"},
	{"terminating-gateway", "TerminatingGatewayConfigEntry"},
	{"service-intentions", "ServiceIntentionsConfigEntry"},
	{"mesh", "MeshConfigEntry"},
	{"exported-services", "ExportedServicesConfigEntry"},
	{"sameness-group", "SamenessGroupConfigEntry"},
	{"api-gateway", "APIGatewayConfigEntry"},
	{"bound-api-gateway", "BoundAPIGatewayConfigEntry"},
	{"http-route", "HTTPRouteConfigEntry"},
	{"tcp-route", "TCPRouteConfigEntry"},
	{"file-system-certificate", "FileSystemCertificateConfigEntry"},
	{"inline-certificate", "InlineCertificateConfigEntry"},
	{"jwt-provider", "JWTProviderConfigEntry"},
}

var types = map[string]ast.Expr{}
var emitted = map[string]bool{}
var order []string
var bodies = map[string]string{}
var visiting = map[string]bool{}

func main() {
	dir := os.Args[1]
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_ent.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			panic(err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				types[ts.Name.Name] = ts.Type
			}
		}
	}
	var kindLines []string
	for _, k := range kinds {
		c := structConst(k[1])
		kindLines = append(kindLines, fmt.Sprintf("    (%q, %s),", k[0], c))
	}
	for _, name := range order {
		fmt.Println(bodies[name])
	}
	fmt.Println("/// Every kind with fields, and its top-level fields.")
	fmt.Println("pub const KINDS: &[(&str, &[Field])] = &[")
	for _, l := range kindLines {
		fmt.Println(l)
	}
	fmt.Println("];")
}

func constName(goName string) string {
	var b strings.Builder
	rs := []rune(goName)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
			b.WriteRune('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// structConst emits the field list of a named struct type and returns its constant name.
func structConst(goName string) string {
	c := constName(goName)
	if emitted[goName] {
		return c
	}
	if visiting[goName] {
		fmt.Fprintf(os.Stderr, "recursive type %s\n", goName)
		return c
	}
	visiting[goName] = true
	st, ok := types[goName].(*ast.StructType)
	if !ok {
		panic("not a struct: " + goName)
	}
	var lines []string
	fields(st, &lines)
	body := fmt.Sprintf("/// `%s`.\nconst %s: &[Field] = &[\n%s];\n", goName, c, strings.Join(lines, ""))
	emitted[goName] = true
	order = append(order, goName)
	bodies[goName] = body
	return c
}

func fields(st *ast.StructType, lines *[]string) {
	for _, f := range st.Fields.List {
		tag := reflect.StructTag("")
		if f.Tag != nil {
			tag = reflect.StructTag(strings.Trim(f.Tag.Value, "`"))
		}
		ms := tag.Get("mapstructure")
		if len(f.Names) == 0 {
			// embedded
			name := exprString(f.Type)
			switch name {
			case "acl.EnterpriseMeta":
				*lines = append(*lines, "    field(\"Namespace\", &[], Ty::Str),\n", "    field(\"Partition\", &[], Ty::Str),\n")
			case "RaftIndex":
				*lines = append(*lines, "    field(\"CreateIndex\", &[], Ty::Int),\n", "    field(\"ModifyIndex\", &[], Ty::Int),\n")
			default:
				if st2, ok := types[strings.TrimPrefix(name, "*")].(*ast.StructType); ok && strings.Contains(ms, "squash") {
					fields(st2, lines)
				} else if _, ok := types[strings.TrimPrefix(name, "*")].(*ast.StructType); ok {
					// Embedded without squash: mapstructure decodes it under its type name.
					*lines = append(*lines, fmt.Sprintf("    field(%q, &[], %s),\n", strings.TrimPrefix(name, "*"), ty(f.Type)))
				} else {
					fmt.Fprintf(os.Stderr, "embedded %s\n", name)
				}
			}
			continue
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			name := n.Name
			if ms != "" && strings.Split(ms, ",")[0] != "" {
				name = strings.Split(ms, ",")[0]
			}
			if name == "-" {
				continue
			}
			var aliases []string
			if a, ok := tag.Lookup("alias"); ok {
				for _, x := range strings.Split(a, ",") {
					aliases = append(aliases, fmt.Sprintf("%q", x))
				}
			}
			*lines = append(*lines, fmt.Sprintf("    field(%q, &[%s], %s),\n", name, strings.Join(aliases, ", "), ty(f.Type)))
		}
	}
}

func exprString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return "*" + exprString(t.X)
	case *ast.SelectorExpr:
		return exprString(t.X) + "." + t.Sel.Name
	case *ast.ArrayType:
		return "[]" + exprString(t.Elt)
	case *ast.MapType:
		return "map[" + exprString(t.Key) + "]" + exprString(t.Value)
	case *ast.InterfaceType:
		return "interface{}"
	}
	return fmt.Sprintf("%T", e)
}

func ty(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return ty(t.X)
	case *ast.ArrayType:
		if id, ok := t.Elt.(*ast.Ident); ok && id.Name == "byte" {
			return "Ty::Str"
		}
		return "Ty::List(&" + ty(t.Elt) + ")"
	case *ast.MapType:
		if _, ok := t.Value.(*ast.InterfaceType); ok {
			return "Ty::Opaque"
		}
		return "Ty::Map(&" + ty(t.Value) + ")"
	case *ast.InterfaceType:
		return "Ty::Opaque"
	case *ast.SelectorExpr:
		switch exprString(t) {
		case "time.Duration":
			return "Ty::Duration"
		case "types.TLSVersion", "types.TLSCipherSuite":
			return "Ty::Str"
		case "time.Time":
			return "Ty::Time"
		}
		fmt.Fprintf(os.Stderr, "external type %s\n", exprString(t))
		return "Ty::Opaque"
	case *ast.Ident:
		switch t.Name {
		case "string":
			return "Ty::Str"
		case "bool":
			return "Ty::Bool"
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
			return "Ty::Int"
		case "float32", "float64":
			return "Ty::Float"
		}
		def, ok := types[t.Name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown type %s\n", t.Name)
			return "Ty::Opaque"
		}
		if _, ok := def.(*ast.StructType); ok {
			return "Ty::Struct(" + structConst(t.Name) + ")"
		}
		return ty(def)
	}
	fmt.Fprintf(os.Stderr, "unhandled %T\n", e)
	return "Ty::Opaque"
}
