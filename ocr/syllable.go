package ocr

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese syllables. Every syllable is an onset (possibly empty), a rhyme and one of six
// tones; the inventories below are those of standard Vietnamese orthography (Quốc ngữ), with
// its spelling rules: k, gh and ngh only before i, y, e and ê, c, g and ng never before them
// (gi is its own onset), q only as qu, and a rhyme that ends in p, t, c or ch only with the
// sắc or nặng tone.

// onsets are the written onsets, longest first so that "ngh" is tried before "ng" and "n".
var onsets = []string{"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""}

// rhymes are the written rhymes without tone, medial o/u included.
var rhymes = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range strings.Fields(`
		a ac ach ai am an ang anh ao ap at au ay
		ăc ăm ăn ăng ăp ăt
		âc âm ân âng âp ât âu ây
		e ec em en eng eo ep et
		ê êch êm ên ênh êp êt êu
		i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
		o oc oi om on ong op ot oa oac oach oai oam oan oang oanh oao oap oat oay
		oăc oăm oăn oăng oăt oe oen oeo oet oong ooc
		ô ôc ôi ôm ôn ông ôp ôt
		ơ ơi ơm ơn ơp ơt
		u uc ui um un ung up ut ua uân uâng uât uây uê uêch uênh uơ uy uya uych uyên uyêt uynh uyt uyu
		uôc uôi uôm uôn uông uôt
		ư ưc ưi ưm ưn ưng ưt ưu ưa ươc ươi ươm ươn ương ươp ươt ươu
		y yêm yên yêt yêu`) {
		m[r] = true
	}
	return m
}()

// vietLetters are the base letters of Vietnamese words, lower case (no f, j, w, z).
const vietLetters = "abcdeghiklmnopqrstuvxyđ"

// Tones as combining marks (after NFD).
const (
	toneGrave = '\u0300' // huyền
	toneAcute = '\u0301' // sắc
	toneTilde = '\u0303' // ngã
	toneHook  = '\u0309' // hỏi
	toneDot   = '\u0323' // nặng
)

// IsSyllable reports whether word, letters only (any case, NFC or not), is a possible
// Vietnamese syllable: onset + rhyme + tone from the inventories of Vietnamese orthography.
func IsSyllable(word string) bool {
	base, tone, ok := splitTone(word)
	if !ok || base == "" {
		return false
	}
	for _, on := range onsets {
		if !strings.HasPrefix(base, on) {
			continue
		}
		rh := base[len(on):]
		if rh == "" && on == "gi" { // gì
			return true
		}
		if validRhyme(on, rh, tone) {
			return true
		}
		if on == "gi" && validRhyme("gi", "i"+rh, tone) { // giêng = gi + iêng
			return true
		}
	}
	return false
}

// validRhyme reports whether rhyme may follow onset with tone.
func validRhyme(onset, rhyme string, tone rune) bool {
	if !rhymes[rhyme] {
		// After qu, the medial u is written in the onset: quyên, quynh, quyt.
		if onset != "qu" || !rhymes["u"+rhyme] {
			return false
		}
	}
	if strings.HasSuffix(rhyme, "p") || strings.HasSuffix(rhyme, "t") || strings.HasSuffix(rhyme, "c") || strings.HasSuffix(rhyme, "ch") {
		if tone != toneAcute && tone != toneDot {
			return false
		}
	}
	front := strings.HasPrefix(rhyme, "i") || strings.HasPrefix(rhyme, "e") || strings.HasPrefix(rhyme, "ê") || strings.HasPrefix(rhyme, "y")
	switch onset {
	case "k", "gh", "ngh":
		return front
	case "c", "g", "ng":
		return !front
	case "qu":
		return !strings.HasPrefix(rhyme, "u") && !strings.HasPrefix(rhyme, "o")
	}
	return true
}

// splitTone lower-cases word and separates it into its letters without tone (NFC) and its
// tone mark (0 for ngang). ok is false when word has something other than letters or more
// than one tone mark.
func splitTone(word string) (base string, tone rune, ok bool) {
	var b strings.Builder
	var prev rune
	for _, r := range norm.NFD.String(strings.ToLower(word)) {
		switch r {
		case toneGrave, toneAcute, toneTilde, toneHook, toneDot:
			// One tone, on a vowel (ñ is n with a tilde, not a tone).
			if tone != 0 || !strings.ContainsRune("aeiouy\u0302\u0306\u031b", prev) {
				return "", 0, false
			}
			tone = r
		case '\u0302', '\u0306', '\u031b': // circumflex, breve, horn
			b.WriteRune(r)
		default:
			if !strings.ContainsRune(vietLetters, r) {
				return "", 0, false
			}
			b.WriteRune(r)
		}
		prev = r
	}
	return norm.NFC.String(b.String()), tone, true
}
