package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/keyring"
)

// openKeyring loads the master key from the custody c names, or sets one
// up when there is none yet (created; remove undoes that for a database
// the new key does not fit). It sets the data-key cache from c.
func openKeyring(c config.Config, env Env) (kr *keyring.Keyring, created bool, remove func(), err error) {
	remove = func() {}
	switch c.Custody {
	case "", "file":
		kr, created, err = keyring.LoadOrCreateFile(c.MasterKeyFile())
		if created {
			remove = func() { os.Remove(c.MasterKeyFile()) }
		}
	case "passphrase":
		var pass []byte
		if pass, err = readSecret(c.PassphraseFD, "Master passphrase: ", env); err != nil {
			return nil, false, remove, err
		}
		defer clear(pass)
		kr, created, err = keyring.LoadOrCreatePassphrase(c.PassphraseFile(), pass, keyring.DefaultArgon2)
		if errors.Is(err, keyring.ErrPassphrase) {
			return nil, false, remove, errors.New("the master passphrase is wrong: it does not derive the keys this data directory was set up with")
		}
		if created {
			remove = func() { os.Remove(c.PassphraseFile()) }
		}
	case "pkcs11":
		pin := c.PKCS11.PIN
		if c.PKCS11.PINFD >= 0 {
			b, err := readSecret(c.PKCS11.PINFD, "", env)
			if err != nil {
				return nil, false, remove, err
			}
			pin = string(b)
			clear(b)
		}
		kr, created, err = keyring.OpenPKCS11(keyring.PKCS11Config{Module: c.PKCS11.Module, Token: c.PKCS11.Token, PIN: pin, Label: c.PKCS11.Label})
	default:
		return nil, false, remove, usageError("--master-key-custody " + c.Custody + ": want file, passphrase or pkcs11")
	}
	if err != nil {
		return nil, false, remove, err
	}
	kr.UseCache(c.KeyCacheSize, c.KeyCacheTTL)
	return kr, created, remove, nil
}

// readSecret reads a passphrase or PIN: the first line from file
// descriptor fd, or, with fd -1, from the terminal without echo.
func readSecret(fd int, prompt string, env Env) ([]byte, error) {
	if fd >= 0 {
		f := os.NewFile(uintptr(fd), "secret")
		if f == nil {
			return nil, fmt.Errorf("file descriptor %d is not open", fd)
		}
		defer f.Close()
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil && line == "" {
			return nil, fmt.Errorf("reading file descriptor %d: %w", fd, err)
		}
		return []byte(strings.TrimRight(line, "\r\n")), nil
	}
	in := int(os.Stdin.Fd())
	if !term.IsTerminal(in) {
		return nil, usageError("the master passphrase is asked on a terminal; without one, give --master-passphrase-fd N")
	}
	fmt.Fprint(env.Stderr, prompt)
	b, err := term.ReadPassword(in)
	fmt.Fprintln(env.Stderr)
	return b, err
}
