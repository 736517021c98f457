// Package s3test runs a real S3-compatible server for tests: MinIO's
// server, built from its Go module once by .ci/run and cached (the path
// in STRONGROOM_TEST_MINIO), on a loopback port over TLS with a fresh
// self-signed certificate, with a bucket that has Object Lock enabled.
package s3test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"strongroom.dev/strongroom/internal/server"
)

// Env names the variable holding the path to the minio binary.
const Env = "STRONGROOM_TEST_MINIO"

// Server is a running MinIO.
type Server struct {
	Addr      string // 127.0.0.1:port
	CAFile    string // its certificate, to trust
	AccessKey string
	SecretKey string
	Bucket    string // created with Object Lock enabled
}

// Spec is a backup target spec for the bucket (options appended).
func (s *Server) Spec(prefix, options string) string {
	spec := "s3://" + s.Addr + "/" + s.Bucket + "/" + prefix + "?ca=" + s.CAFile
	if options != "" {
		spec += "&" + options
	}
	return spec
}

// Getenv returns the server's credentials as the backup target reads them.
func (s *Server) Getenv(k string) string {
	switch k {
	case "STRONGROOM_S3_ACCESS_KEY":
		return s.AccessKey
	case "STRONGROOM_S3_SECRET_KEY":
		return s.SecretKey
	}
	return os.Getenv(k)
}

// Start starts MinIO for the test and stops it at the end. Without
// STRONGROOM_TEST_MINIO the test is skipped, except under CI, where it
// fails: CI builds the server and must run these tests.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv(Env)
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: .ci/run builds MinIO's server and sets it", Env)
		}
		t.Skipf("%s is not set (the path to a minio server binary; .ci/run builds one)", Env)
	}
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	cert, key, err := server.EnsureSelfSigned(certs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cert, filepath.Join(certs, "public.crt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(key, filepath.Join(certs, "private.key")); err != nil {
		t.Fatal(err)
	}
	s := &Server{CAFile: filepath.Join(certs, "public.crt"), AccessKey: "strongroom-test", SecretKey: "strongroom-test-secret", Bucket: "backups"}
	s.Addr = freePort(t)
	console := freePort(t)
	cmd := exec.Command(bin, "server", "--quiet", "--address", s.Addr, "--console-address", console, "--certs-dir", certs, filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	out, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting minio: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	client := s.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		err := client.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{ObjectLocking: true})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "minio.log"))
			t.Fatalf("minio did not come up: %v\n%s", err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return s
}

// Client is an S3 client with the root credential, for tests that act as
// the bucket's owner or a thief.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c, err := minio.New(s.Addr, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: true, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr())
}
