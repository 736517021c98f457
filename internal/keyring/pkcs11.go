//go:build cgo

package keyring

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

// PKCS11Config says which token holds the master key and how to log in.
type PKCS11Config struct {
	Module string // the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	Token  string // the token's label
	PIN    string // the user PIN
	Label  string // prefix of the key objects' labels; default "strongroom"
}

const pkcs11Sessions = 4 // sessions opened: operations at once

// pkcs11Custody keeps every term as an AES-256 key generated inside the
// token, sensitive and not extractable, labelled "<label>-kek-<term>".
// Data keys are wrapped and unwrapped by the token with CKM_AES_GCM (a
// random 96-bit IV, the subject as associated data); the key bytes of the
// master key are never outside it. The index root is an HMAC-SHA256, by
// a generic secret key in the token ("<label>-index", also not
// extractable), of a fixed string: the same on every server that shares
// the token, and never stored.
type pkcs11Custody struct {
	ctx      *pkcs11.Ctx
	module   string
	label    string
	sessions chan pkcs11.SessionHandle
	all      []pkcs11.SessionHandle

	mu    sync.RWMutex
	terms map[uint32]pkcs11.ObjectHandle
	index pkcs11.ObjectHandle
}

// OpenPKCS11 logs in to the token and opens the keyring whose terms it
// holds; on a token that holds none, it generates term 1 and the index key
// there (created is then true).
func OpenPKCS11(cfg PKCS11Config) (kr *Keyring, created bool, err error) {
	if cfg.Module == "" || cfg.Token == "" {
		return nil, false, errors.New("keyring: pkcs11 custody needs a module and a token label")
	}
	if cfg.Label == "" {
		cfg.Label = "strongroom"
	}
	ctx, err := loadModule(cfg.Module)
	if err != nil {
		return nil, false, err
	}
	c := &pkcs11Custody{ctx: ctx, module: cfg.Module, label: cfg.Label, sessions: make(chan pkcs11.SessionHandle, pkcs11Sessions)}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	slot, err := findSlot(ctx, cfg.Token)
	if err != nil {
		return nil, false, err
	}
	for i := range pkcs11Sessions {
		sh, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return nil, false, fmt.Errorf("keyring: pkcs11: open session: %w", err)
		}
		if i == 0 { // login is per application: one session logs in all
			if err := ctx.Login(sh, pkcs11.CKU_USER, cfg.PIN); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
				ctx.CloseSession(sh)
				return nil, false, fmt.Errorf("keyring: pkcs11: login to token %q: %w", cfg.Token, err)
			}
		}
		c.all = append(c.all, sh)
		c.sessions <- sh
	}
	if err := c.Reload(); err != nil {
		return nil, false, err
	}
	if len(c.Terms()) == 0 {
		if _, err := c.AddTerm(); err != nil {
			return nil, false, err
		}
		created = true
	}
	if c.index == 0 {
		if err := c.makeIndexKey(); err != nil {
			return nil, false, err
		}
	}
	kr, err = Open(c)
	return kr, created, err
}

func findSlot(ctx *pkcs11.Ctx, token string) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("keyring: pkcs11: %w", err)
	}
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err == nil && strings.TrimRight(ti.Label, " \x00") == token {
			return s, nil
		}
	}
	return 0, fmt.Errorf("keyring: pkcs11: no token labelled %q", token)
}

func (c *pkcs11Custody) Name() string { return "pkcs11" }

func (c *pkcs11Custody) session() (pkcs11.SessionHandle, func()) {
	sh := <-c.sessions
	return sh, func() { c.sessions <- sh }
}

func (c *pkcs11Custody) Terms() []uint32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]uint32, 0, len(c.terms))
	for t := range c.terms {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func (c *pkcs11Custody) handle(term uint32) (pkcs11.ObjectHandle, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h, ok := c.terms[term]
	return h, ok
}

const gcmIV = 12

func (c *pkcs11Custody) Wrap(term uint32, key, aad []byte) ([]byte, error) {
	h, ok := c.handle(term)
	if !ok {
		return nil, fmt.Errorf("no term %d", term)
	}
	iv := make([]byte, gcmIV)
	rand.Read(iv)
	sh, done := c.session()
	defer done()
	params := pkcs11.NewGCMParams(iv, aad, 128)
	defer params.Free()
	if err := c.ctx.EncryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, h); err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	ct, err := c.ctx.Encrypt(sh, key)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	if got := params.IV(); len(got) == gcmIV {
		iv = got // a token may choose the IV itself
	}
	return append(iv, ct...), nil
}

func (c *pkcs11Custody) Unwrap(term uint32, body, aad []byte) ([]byte, error) {
	h, ok := c.handle(term)
	if !ok {
		return nil, fmt.Errorf("no term %d", term)
	}
	if len(body) < gcmIV+16 {
		return nil, errors.New("short")
	}
	sh, done := c.session()
	defer done()
	params := pkcs11.NewGCMParams(slices.Clone(body[:gcmIV]), aad, 128)
	defer params.Free()
	if err := c.ctx.DecryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, h); err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	pt, err := c.ctx.Decrypt(sh, body[gcmIV:])
	if err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	return pt, nil
}

func (c *pkcs11Custody) termLabel(term uint32) string {
	return c.label + "-kek-" + strconv.FormatUint(uint64(term), 10)
}

// secretTemplate is what every key Strongroom makes in a token shares: a
// token object, private, sensitive, never extractable.
func (c *pkcs11Custody) secretTemplate(label string, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	return append([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}, extra...)
}

func (c *pkcs11Custody) AddTerm() (uint32, error) {
	if err := c.Reload(); err != nil {
		return 0, err
	}
	next := uint32(1)
	if ts := c.Terms(); len(ts) > 0 {
		next = slices.Max(ts) + 1
	}
	sh, done := c.session()
	defer done()
	h, err := c.ctx.GenerateKey(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)},
		c.secretTemplate(c.termLabel(next),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, keySize),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
			pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true)))
	if err != nil {
		return 0, fmt.Errorf("pkcs11: generate term %d: %w", next, err)
	}
	c.mu.Lock()
	c.terms[next] = h
	c.mu.Unlock()
	return next, nil
}

func (c *pkcs11Custody) makeIndexKey() error {
	sh, done := c.session()
	defer done()
	h, err := c.ctx.GenerateKey(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_GENERIC_SECRET_KEY_GEN, nil)},
		c.secretTemplate(c.label+"-index",
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, keySize),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, true)))
	if err != nil {
		return fmt.Errorf("keyring: pkcs11: generate the index key: %w", err)
	}
	c.mu.Lock()
	c.index = h
	c.mu.Unlock()
	return nil
}

func (c *pkcs11Custody) RetireTerm(term uint32) error {
	h, ok := c.handle(term)
	if !ok {
		return fmt.Errorf("no term %d", term)
	}
	sh, done := c.session()
	defer done()
	if err := c.ctx.DestroyObject(sh, h); err != nil {
		return fmt.Errorf("pkcs11: %w", err)
	}
	c.mu.Lock()
	delete(c.terms, term)
	c.mu.Unlock()
	return nil
}

// Reload lists the token's key objects whose labels are this keyring's.
func (c *pkcs11Custody) Reload() error {
	sh, done := c.session()
	defer done()
	if err := c.ctx.FindObjectsInit(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY)}); err != nil {
		return fmt.Errorf("keyring: pkcs11: %w", err)
	}
	var found []pkcs11.ObjectHandle
	for {
		hs, _, err := c.ctx.FindObjects(sh, 100)
		if err != nil {
			c.ctx.FindObjectsFinal(sh)
			return fmt.Errorf("keyring: pkcs11: %w", err)
		}
		if len(hs) == 0 {
			break
		}
		found = append(found, hs...)
	}
	if err := c.ctx.FindObjectsFinal(sh); err != nil {
		return fmt.Errorf("keyring: pkcs11: %w", err)
	}
	terms := map[uint32]pkcs11.ObjectHandle{}
	var index pkcs11.ObjectHandle
	for _, h := range found {
		attrs, err := c.ctx.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
		if err != nil || len(attrs) != 1 {
			continue
		}
		label := string(attrs[0].Value)
		if label == c.label+"-index" {
			index = h
			continue
		}
		rest, ok := strings.CutPrefix(label, c.label+"-kek-")
		if !ok {
			continue
		}
		if t, err := strconv.ParseUint(rest, 10, 32); err == nil && t > 0 {
			terms[uint32(t)] = h
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.terms = terms
	if index != 0 {
		c.index = index
	}
	return nil
}

func (c *pkcs11Custody) IndexRoot() ([]byte, error) {
	c.mu.RLock()
	h := c.index
	c.mu.RUnlock()
	if h == 0 {
		return nil, errors.New("the token holds no index key")
	}
	sh, done := c.session()
	defer done()
	if err := c.ctx.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_HMAC, nil)}, h); err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	mac, err := c.ctx.Sign(sh, []byte("strongroom/index-root/v1"))
	if err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	return mac, nil
}

// Extractable reports the CKA_EXTRACTABLE and CKA_SENSITIVE attributes of
// term's key object, for tests and `keys status`.
func (c *pkcs11Custody) attributes(term uint32) (extractable, sensitive bool, err error) {
	h, ok := c.handle(term)
	if !ok {
		return false, false, fmt.Errorf("no term %d", term)
	}
	sh, done := c.session()
	defer done()
	attrs, err := c.ctx.GetAttributeValue(sh, h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil), pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil)})
	if err != nil {
		return false, false, err
	}
	for _, a := range attrs {
		v := len(a.Value) == 1 && a.Value[0] == 1
		switch a.Type {
		case pkcs11.CKA_EXTRACTABLE:
			extractable = v
		case pkcs11.CKA_SENSITIVE:
			sensitive = v
		}
	}
	return extractable, sensitive, nil
}

// TokenKeyAttributes reports whether term's key in kr's token could be
// taken out of it (CKA_EXTRACTABLE) and is sensitive (CKA_SENSITIVE).
func TokenKeyAttributes(kr *Keyring, term uint32) (extractable, sensitive bool, err error) {
	c, ok := kr.custody.(*pkcs11Custody)
	if !ok {
		return false, false, errors.New("keyring: not a pkcs11 custody")
	}
	return c.attributes(term)
}

func (c *pkcs11Custody) Close() {
	for range c.all {
		sh := <-c.sessions
		c.ctx.CloseSession(sh)
	}
	c.all = nil
	unloadModule(c.module)
}

// A module is initialised once per process (C_Initialize twice fails):
// custodies over one module share its context, finalised with the last.
var modules = struct {
	sync.Mutex
	m map[string]*loadedModule
}{m: map[string]*loadedModule{}}

type loadedModule struct {
	ctx  *pkcs11.Ctx
	refs int
}

func loadModule(path string) (*pkcs11.Ctx, error) {
	modules.Lock()
	defer modules.Unlock()
	if l, ok := modules.m[path]; ok {
		l.refs++
		return l.ctx, nil
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("keyring: cannot load the PKCS#11 module %s", path)
	}
	if err := ctx.Initialize(); err != nil {
		ctx.Destroy()
		return nil, fmt.Errorf("keyring: pkcs11: %w", err)
	}
	modules.m[path] = &loadedModule{ctx: ctx, refs: 1}
	return ctx, nil
}

func unloadModule(path string) {
	modules.Lock()
	defer modules.Unlock()
	l, ok := modules.m[path]
	if !ok {
		return
	}
	if l.refs--; l.refs > 0 {
		return
	}
	delete(modules.m, path)
	l.ctx.Finalize()
	l.ctx.Destroy()
}
