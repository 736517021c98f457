// Package governance holds the use cases on who may do what: roles and
// their permissions, teams, networks, the security policy, approvals,
// break-glass, access reviews, and reading the audit log.
// Each type holds the shared core (service/core) and nothing else.
package governance

import (
	"context"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// base is what every type here holds: the core, reached as s.c.
type base struct{ c *core.Core }

// AuditLog is a domain service: reading and verifying the audit log.
type AuditLog struct{ base }

// NewAuditLog returns the audit log service over c.
func NewAuditLog(c *core.Core) *AuditLog { return &AuditLog{base{c}} }

// Roles is a domain service; see the package comment.
type Roles struct{ base }

// NewRoles returns the roles service over c.
func NewRoles(c *core.Core) *Roles { return &Roles{base{c}} }

// Approvals is a domain service; see the package comment.
type Approvals struct{ base }

// NewApprovals returns the approvals service over c.
func NewApprovals(c *core.Core) *Approvals { return &Approvals{base{c}} }

func (s *base) newHolders(ctx context.Context) (*holders, error) {
	parents, err := s.c.DB.TeamParents(ctx)
	return &holders{s: s.c, parents: parents, grants: map[string]map[authz.Role]map[authz.Object]authz.Grant{}}, err
}

// holders builds the actor of any user — roles, defined grants, sub-teams
// — for views over many users, reading the team tree once and each
// combination of roles once.
type holders struct {
	s       *core.Core
	parents map[string]string
	grants  map[string]map[authz.Role]map[authz.Object]authz.Grant // by stored roles
}

func (h *holders) actor(ctx context.Context, u store.UserRow) (authz.Actor, error) {
	roles := authz.RolesOf(u.Role)
	g, ok := h.grants[u.Role]
	if !ok {
		var err error
		if g, err = h.s.DefinedGrants(ctx, roles); err != nil {
			return authz.Actor{}, err
		}
		h.grants[u.Role] = g
	}
	return authz.Actor{UserID: u.ID, Roles: roles, Team: u.Team, SubTeams: authz.SubTeams(u.Team, h.parents), Defined: g}, nil
}
