// Package web is Strongroom's server-rendered user interface: html/template
// pages with embedded assets, in English and Simplified Chinese, under a
// strict Content-Security-Policy (no inline script).
package web

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed templates
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

// Handler serves the UI.
type Handler struct {
	log *slog.Logger
}

// New returns the UI handler.
func New(log *slog.Logger) *Handler { return &Handler{log: log} }

// Routes registers the UI's routes on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.showIndex)
}

type indexView struct {
	Lang string
	T    map[string]string
}

var text = map[string]map[string]string{
	"en": {
		"title":   "Strongroom",
		"tagline": "A CRM that keeps customer data safe.",
		"api":     "The JSON API is served under /api/v1; its OpenAPI document is at",
		"login":   "Log in with POST /api/v1/sessions using a login printed when the server started.",
	},
	"zh-CN": {
		"title":   "Strongroom 保险库",
		"tagline": "守护客户数据安全的 CRM。",
		"api":     "JSON API 位于 /api/v1；OpenAPI 文档见",
		"login":   "使用服务器启动时打印的账号，通过 POST /api/v1/sessions 登录。",
	},
}

func (h *Handler) showIndex(w http.ResponseWriter, r *http.Request) {
	lang := "en"
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "zh") {
		lang = "zh-CN"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	w.Header().Set("Content-Language", lang)
	if err := pages.ExecuteTemplate(w, "index.html", indexView{Lang: lang, T: text[lang]}); err != nil {
		h.log.Error("render index", slog.String("error", err.Error()))
	}
}
