// Package fence holds no code: its test enforces which packages may import
// what, so that the layers in docs/ARCHITECTURE.md cannot be skipped.
package fence
