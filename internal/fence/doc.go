// Package fence holds no code: its tests enforce which packages may import
// what, and that the HTTP handlers (web, api) call no authz decision, so
// that the layers in docs/ARCHITECTURE.md cannot be skipped.
package fence
