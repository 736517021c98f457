package crm

import (
	"strings"
	"unicode"
)

// JoinName joins a given and a family name the way the name's script
// writes it: Chinese, Japanese and Korean names family name first with no
// space (李 + 伟 → 李伟; 김 + 민준 → 김민준), others given name first with a
// space (Ada + Lovelace → Ada Lovelace). Contact exports split the two;
// joined in the wrong order a CJK name cannot be found by name.
func JoinName(given, family string) string {
	given, family = strings.TrimSpace(given), strings.TrimSpace(family)
	switch {
	case given == "":
		return family
	case family == "":
		return given
	case isCJK(given) || isCJK(family):
		return family + given
	}
	return given + " " + family
}

// isCJK reports whether s is written in Han, Hiragana, Katakana or Hangul.
func isCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}
