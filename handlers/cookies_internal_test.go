package handlers

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEveryCookieListed reads every http.Cookie the handlers make and
// fails on one whose name the privacy notice (siteCookies) does not list,
// or whose name it cannot tell: a new cookie must be explained there.
func TestEveryCookieListed(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ast.File
	consts := map[string]string{} // package-level string constants
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name] = constant.StringVal(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
						}
					}
				}
			}
		}
	}
	// nameOf tells a cookie's name from the expression that sets it: a
	// string, a constant, or a parameter of a helper (setCookie) whose
	// callers pass constants, which are then read at every call.
	helperParams := map[string]int{} // helper function name -> index of its name parameter
	var cookies []string
	nameOf := func(e ast.Expr, fn *ast.FuncDecl) (string, bool) {
		switch x := e.(type) {
		case *ast.BasicLit:
			v, err := strconv.Unquote(x.Value)
			return v, err == nil
		case *ast.Ident:
			return nameOfIdent(x, fn, consts, helperParams)
		case *ast.CallExpr:
			// s.cookieName(c, name): the __Host- prefix on a name.
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "cookieName" && len(x.Args) == 2 {
				if id, ok := x.Args[1].(*ast.Ident); ok {
					return nameOfIdent(id, fn, consts, helperParams)
				}
			}
		}
		return "", false
	}
	for _, f := range parsed {
		for _, d := range f.Decls {
			fn, _ := d.(*ast.FuncDecl)
			ast.Inspect(d, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok {
					return true
				}
				sel, ok := lit.Type.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Cookie" {
					return true
				}
				for _, el := range lit.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok || kv.Key.(*ast.Ident).Name != "Name" {
						continue
					}
					name, ok := nameOf(kv.Value, fn)
					if !ok {
						t.Errorf("%s: cannot tell this cookie's name", fset.Position(kv.Pos()))
					} else if name != "" {
						cookies = append(cookies, name)
					}
				}
				return true
			})
		}
	}
	// The helpers' callers: every call passes the name as a constant.
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			i, ok := helperParams[sel.Sel.Name]
			if !ok || i >= len(call.Args) {
				return true
			}
			id, isIdent := call.Args[i].(*ast.Ident)
			v, known := "", false
			if isIdent {
				v, known = consts[id.Name]
			}
			if !known {
				t.Errorf("%s: cannot tell the name of the cookie %s sets", fset.Position(call.Pos()), sel.Sel.Name)
				return true
			}
			cookies = append(cookies, v)
			return true
		})
	}
	var listed []string
	for _, c := range siteCookies {
		listed = append(listed, c.Name)
	}
	for _, want := range []string{"lang", "supporter", "torg_session", "torg_csrf"} {
		if !slices.Contains(cookies, want) {
			t.Errorf("the scan did not find the cookie %s: it would miss new ones too (found %v)", want, cookies)
		}
	}
	for _, c := range cookies {
		if !slices.Contains(listed, c) {
			t.Errorf("the cookie %q is set but not listed in siteCookies (the privacy notice)", c)
		}
	}
}

// nameOfIdent is a constant's value, or "" and true for a parameter of
// fn (a helper such as setCookie), whose callers are then read.
func nameOfIdent(id *ast.Ident, fn *ast.FuncDecl, consts map[string]string, helperParams map[string]int) (string, bool) {
	if v, ok := consts[id.Name]; ok {
		return v, true
	}
	if fn == nil {
		return "", false
	}
	i := 0
	for _, field := range fn.Type.Params.List {
		for _, n := range field.Names {
			if n.Name == id.Name {
				helperParams[fn.Name.Name] = i
				return "", true
			}
			i++
		}
	}
	return "", false
}
