package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/store"
)

// app is an opened database with its keyring and service.
type app struct {
	db   *store.DB
	keys *keyring.Keyring
	svc  *service.Service
	mail *mail.Queue // nil when no relay is configured
}

func (a *app) Close() {
	if a.mail != nil {
		a.mail.Close() // one last try at what is queued
	}
	a.svc.Close()
	a.db.Close()
	a.keys.Close()
}

// open prepares the data directory, loads (or, for a new database, creates)
// the master key, opens the database and checks that the key fits it.
func open(ctx context.Context, c config.Config, log *slog.Logger, env Env) (*app, error) {
	if err := c.Validate(); err != nil {
		return nil, usageError(err.Error())
	}
	limits, err := c.SessionLimits()
	if err != nil {
		return nil, usageError(err.Error())
	}
	deadlines, err := c.RequestDeadlines()
	if err != nil {
		return nil, usageError(err.Error())
	}
	if c.Demo && c.Organisation == "" && c.PrivacyContact == "" {
		// The demo's organisation, so that its record of processing and
		// breach notices read as a real one's would.
		c.Organisation, c.PrivacyContact = "Jade House Auctions (demo)", "dpo@demo.strongroom.test"
	}
	opt := service.Options{PublicURL: c.Link(), IdleTimeout: c.IdleTimeout, AbsoluteTimeout: c.AbsoluteTimeout, MinPassword: c.MinPassword, BulkExportRows: c.BulkExportRows, MinK: c.MinK, Organisation: c.Organisation, PrivacyContact: c.PrivacyContact, AuditRetention: c.AuditRetention, RequestDays: deadlines, RatePerAccount: c.RatePerAccount, SessionLimits: limits,
		OfflineLease: c.OfflineLease, WipeEscalate: c.WipeEscalate, DeviceMinVersion: c.DeviceMinVersion, DeviceRequiredRoles: strings.Split(c.DeviceRequiredRoles, ",")}
	var queue *mail.Queue
	if c.SMTP.Host != "" {
		relay := mail.SMTP{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.User, Password: c.SMTP.Password, From: c.SMTP.From, StartTLS: c.SMTP.StartTLS}
		if err := relay.Check(); err != nil {
			return nil, usageError("mail relay: " + err.Error())
		}
		if c.SMTP.CAFile != "" {
			pem, err := os.ReadFile(c.SMTP.CAFile)
			if err != nil {
				return nil, fmt.Errorf("--smtp-ca: %w", err)
			}
			relay.RootCAs = x509.NewCertPool()
			if !relay.RootCAs.AppendCertsFromPEM(pem) {
				return nil, usageError("--smtp-ca: " + c.SMTP.CAFile + " holds no PEM certificate")
			}
		}
		queue = mail.NewQueue(relay, log, 1000)
		opt.Mail = queue
	}
	if err := c.EnsureDataDir(); err != nil {
		return nil, fmt.Errorf("cannot create the data directory: %w", err)
	}
	kr, created, removeKey, err := openKeyring(c, env)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.DatabaseDSN())
	if err != nil {
		kr.Close()
		if created {
			removeKey()
		}
		if queue != nil {
			queue.Close()
		}
		return nil, err
	}
	svc, err := service.New(ctx, db, kr, opt)
	if err != nil {
		if queue != nil {
			queue.Close()
		}
		db.Close()
		kr.Close()
		if created { // the key we just made does not fit an existing database: leave no stray key behind
			removeKey()
		}
		return nil, err
	}
	return &app{db: db, keys: kr, svc: svc, mail: queue}, nil
}

// openStoreOnly opens the database without the master key, for work that
// needs none (verifying the audit chain).
func openStoreOnly(ctx context.Context, c config.Config) (*store.DB, error) {
	if c.DSN == "" {
		if _, err := os.Stat(c.DatabaseDSN()); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s; give --data or --db", c.DatabaseDSN())
		}
	}
	return store.Open(ctx, c.DatabaseDSN())
}

// cliLog logs a command's background work (mail delivery) to stderr.
func cliLog(env Env) *slog.Logger { return slog.New(slog.NewTextHandler(env.Stderr, nil)) }
