package handlers

import "context"

// AdminRoles returns the roles besides admin that may use a back-office
// route ("GET", "/admin/users/:id"), and whether it was registered through
// adminRoutes at all, for the test that walks every /admin route.
func (s *Server) AdminRoles(method, path string) ([]string, bool) {
	roles, ok := s.adminAccess[method+" "+path]
	return roles, ok
}

// PruneMailFolder runs the mail folder's pruning once, as the server does
// every minute.
func (s *Server) PruneMailFolder() { s.pruneMailFolder(context.Background()) }
