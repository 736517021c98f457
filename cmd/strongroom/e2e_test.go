package main_test

import (
	"testing"

	"strongroom.dev/strongroom/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }

// TestBinarySources makes the package's cached result depend on every file
// the binary is built from (e2e.ReadSources).
func TestBinarySources(t *testing.T) { e2e.ReadSources(t, "../..") }

// Shorthands for the end-to-end helpers (internal/e2e), as this package's
// tests have always called them.
var (
	run           = e2e.Run
	start         = e2e.Start
	serve         = e2e.Serve
	storageArgs   = e2e.StorageArgs
	addUser       = e2e.AddUser
	addUserInTeam = e2e.AddUserInTeam
	dataDir       = e2e.DataDir
	rateLimited   = e2e.RateLimited
	startWithMail = e2e.StartWithMail
	linkPath      = e2e.LinkPath
	tokenOf       = e2e.TokenOf
	code          = e2e.TOTPCode
)

type (
	server = e2e.Server
	reply  = e2e.Reply
)

const password = e2e.Password
