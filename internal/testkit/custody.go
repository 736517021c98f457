package testkit

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/keyring"
)

// CustodyEnv chooses the master key's custody of NewEnv's services:
// unset or "memory" (keys in memory), or "pkcs11": a SoftHSM2 token made
// once per test process, with a key label of its own per service, so
// that the service suites run with the master key in a token
// (.ci/run runs them so). PKCS11ModuleEnv names the module.
const (
	CustodyEnv      = "STRONGROOM_TEST_CUSTODY"
	PKCS11ModuleEnv = "STRONGROOM_TEST_PKCS11_MODULE"
)

var softHSM struct {
	once sync.Once
	cfg  keyring.PKCS11Config
	err  error
}

// NewKeyring makes a fresh master keyring in the custody CustodyEnv
// chooses; it is closed when t ends.
func NewKeyring(t testing.TB) *keyring.Keyring {
	t.Helper()
	switch os.Getenv(CustodyEnv) {
	case "", "memory":
		kr, err := keyring.Generate()
		if err != nil {
			t.Fatal(err)
		}
		return kr
	case "pkcs11":
		cfg := SoftHSMToken(t)
		cfg.Label = "t" + rand.Text()[:12]
		kr, _, err := keyring.OpenPKCS11(cfg)
		if err != nil {
			t.Fatal(err)
		}
		kr.UseCache(1024, 5*time.Minute) // as serve's defaults
		t.Cleanup(kr.Close)
		return kr
	default:
		t.Fatalf("%s=%q: want memory or pkcs11", CustodyEnv, os.Getenv(CustodyEnv))
		return nil
	}
}

// SoftHSMToken makes (once per process) a SoftHSM2 token in a temporary
// SOFTHSM2_CONF directory and returns how to open it. It fails t when
// PKCS11ModuleEnv is unset or the token cannot be made.
func SoftHSMToken(t testing.TB) keyring.PKCS11Config {
	t.Helper()
	softHSM.once.Do(func() {
		module := os.Getenv(PKCS11ModuleEnv)
		if module == "" {
			softHSM.err = errString(PKCS11ModuleEnv + " is not set")
			return
		}
		dir, err := os.MkdirTemp("", "strongroom-softhsm-")
		if err != nil {
			softHSM.err = err
			return
		}
		tokens := filepath.Join(dir, "tokens")
		os.MkdirAll(tokens, 0o700)
		conf := filepath.Join(dir, "softhsm2.conf")
		os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600)
		os.Setenv("SOFTHSM2_CONF", conf)
		out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", "strongroom-tests", "--pin", "1234", "--so-pin", "5678").CombinedOutput()
		if err != nil {
			softHSM.err = errString("softhsm2-util: " + err.Error() + ": " + string(out))
			return
		}
		softHSM.cfg = keyring.PKCS11Config{Module: module, Token: "strongroom-tests", PIN: "1234"}
	})
	if softHSM.err != nil {
		t.Fatal(softHSM.err)
	}
	return softHSM.cfg
}

type errString string

func (e errString) Error() string { return string(e) }
