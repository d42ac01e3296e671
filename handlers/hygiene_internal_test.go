package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestFormsReadOnlyThroughPostForm: no handler reads a request's fields
// another way than postForm/postValue (or readForm, which uses them).
// Echo's FormValue, FormParams and Bind, and net/http's Request.Form and
// FormValue, mix the query string into a POST's fields: a link with
// ?confirm=yes would then erase with an empty body.
func TestFormsReadOnlyThroughPostForm(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := map[string]bool{"FormValue": true, "FormParams": true, "Bind": true, "ParseForm": true, "ParseMultipartForm": true,
		"PostFormValue": true}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if fn, ok := n.(*ast.FuncDecl); ok && fn.Name.Name == "postForm" {
				return false // the one place that may
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if banned[sel.Sel.Name] || (sel.Sel.Name == "Form" || sel.Sel.Name == "PostForm") && isRequest(sel.X) {
				t.Errorf("%s: .%s reads a request's fields; use postForm or postValue (hygiene.go)", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// isRequest reports whether x is, by its look, an *http.Request:
// c.Request(), r or req (views.Form and a page's Form are not).
func isRequest(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.CallExpr:
		sel, ok := x.Fun.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Request"
	case *ast.Ident:
		return x.Name == "r" || x.Name == "req"
	}
	return false
}
