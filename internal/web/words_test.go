package web

import (
	"testing"

	"strongroom.dev/strongroom/internal/crm"
)

// TestStoredWordsTranslated: every value the UI shows through term — the
// default pipeline's stages (migration 0005), contact and feedback
// channels, transaction statuses — has a word in each language, so none
// shows as its stored English id in the Chinese UI.
func TestStoredWordsTranslated(t *testing.T) {
	want := map[string][]string{
		"stage":    {"lead", "qualified", "proposal", "negotiation", "won", "lost"},
		"channel":  append(append([]string{}, crm.Channels...), "survey", "store", "other"),
		"txstatus": crm.TransactionStatuses,
	}
	for prefix, values := range want {
		for _, v := range values {
			for _, lang := range []string{langEN, langZH} {
				if got := term(lang, prefix, v); got == v && lang == langZH {
					t.Errorf("%s %s %q has no word in %s", prefix, v, v, lang)
				}
				if _, ok := catalog[lang][prefix+"_"+v]; !ok {
					t.Errorf("%s lacks %s_%s", lang, prefix, v)
				}
			}
		}
	}
	// A stage an administrator named shows as named.
	if got := term(langZH, "stage", "tasting"); got != "tasting" {
		t.Errorf("a stage with no word shows as %q", got)
	}
}
