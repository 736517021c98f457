package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/keyring"
)

// Files recovery-init writes in --out.
const (
	recoveryPrivateFile = "seal-recovery.key"
	recoveryPublicFile  = "seal-recovery.pub"
)

// recoveryCmd handles the sealed notes' recovery key (docs/SECURITY.md,
// "Sealed notes"): recovery-init makes the key pair offline, recovery-set
// gives the server its public half, recovery-open opens one note on the
// host with the private half. keysCmd hands keys recovery-* here.
func recoveryCmd(ctx context.Context, args []string, env Env) error {
	switch args[0] {
	case "recovery-init":
		return recoveryInit(args[1:], env)
	case "recovery-set":
		return recoverySet(ctx, args[1:], env)
	case "recovery-open":
		return recoveryOpen(ctx, args[1:], env)
	}
	return usageError("keys recovery needs one of recovery-init, recovery-set, recovery-open")
}

// recoveryInit makes the organisation's recovery key pair. It touches no
// database: run it on an offline machine, keep the private file there (or
// on paper, or split), and carry only the public file to the server.
func recoveryInit(args []string, env Env) error {
	fs := newFlags("keys recovery-init", env)
	out := fs.String("out", "", "directory for "+recoveryPrivateFile+" (0600) and "+recoveryPublicFile)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError("keys recovery-init needs --out DIR")
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	priv, err := keyring.NewSealKey()
	if err != nil {
		return err
	}
	private, public, err := keyring.MarshalRecoveryKey(priv)
	if err != nil {
		return err
	}
	privPath, pubPath := filepath.Join(*out, recoveryPrivateFile), filepath.Join(*out, recoveryPublicFile)
	if err := writeNewSecret(privPath, private); err != nil {
		return fmt.Errorf("keys recovery-init: %w (an existing recovery key is never overwritten)", err)
	}
	if err := os.WriteFile(pubPath, public, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Recovery key pair written:\n  private: %s (0600) — keep it offline, never on the server\n  public:  %s — give it to the server with: strongroom keys recovery-set --public %s\n", privPath, pubPath, pubPath)
	return nil
}

// recoverySet stores the recovery public key; notes written from then on
// are sealed to it too. Audited (sealed.recovery_set).
func recoverySet(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("keys recovery-set", env)
	c.StorageFlags(fs)
	public := fs.String("public", "", "the public key file keys recovery-init wrote ("+recoveryPublicFile+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *public == "" {
		return usageError("keys recovery-set needs --public FILE")
	}
	data, err := os.ReadFile(*public)
	if err != nil {
		return err
	}
	if strings.Contains(string(data), "PRIVATE KEY") {
		return errors.New("keys recovery-set: that is the private key; give the server only the public file (" + recoveryPublicFile + ")")
	}
	pub, err := keyring.ParseRecoveryPublicKey(data)
	if err != nil {
		return err
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.svc.Sealed.SetRecoveryKey(ctx, authz.System(), pub); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "Recovery key set: sealed notes written from now on are sealed to it too.")
	return nil
}

// recoveryOpen opens one sealed note with the recovery private key, on
// the host. The note is read through the service, which records
// sealed.recovery_open with the reason before answering.
func recoveryOpen(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("keys recovery-open", env)
	c.StorageFlags(fs)
	private := fs.String("private", "", "the private key file keys recovery-init wrote ("+recoveryPrivateFile+")")
	note := fs.String("note", "", "the sealed note's id (snt_…)")
	reason := fs.String("reason", "", "why the note is recovered (audited)")
	out := fs.String("out", "", "write the note to this new file (0600; an existing file is refused) instead of standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *private == "" || *note == "" || strings.TrimSpace(*reason) == "" {
		return usageError("keys recovery-open needs --private FILE, --note ID and --reason TEXT")
	}
	data, err := os.ReadFile(*private)
	if err != nil {
		return err
	}
	priv, err := keyring.ParseRecoveryPrivateKey(data)
	if err != nil {
		return err
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.svc.Sealed.ForRecovery(ctx, authz.System(), *note, strings.TrimSpace(*reason))
	if err != nil {
		return err
	}
	key, err := keyring.OpenEnvelope(priv, n.Envelope, n.ID, keyring.RecoveryRecipient)
	if err != nil {
		return errors.New("keys recovery-open: the recovery envelope does not open with this key (another recovery key, or tampered)")
	}
	body, err := keyring.OpenNote(key, n.ID, n.Ciphertext, n.Nonce)
	if err != nil {
		return errors.New("keys recovery-open: the note's ciphertext does not open (tampered)")
	}
	if *out != "" {
		if err := writeNewSecret(*out, body); err != nil {
			return fmt.Errorf("keys recovery-open: --out must name a new file: %w", err)
		}
		return nil
	}
	_, err = env.Stdout.Write(append(body, '\n'))
	return err
}
