package accuracy

import "testing"

func TestCER(t *testing.T) {
	cases := []struct {
		got, want string
		cer       float64
	}{
		{"Độc lập", "Độc  lập\n", 0},
		{"Đôc lập", "Độc lập", 1.0 / 7},
		{"\u0110o\u0323\u0302c", "Độc", 0}, // decomposed input is normalized
		{"", "", 0},
		{"x", "", 1},
		{"", "abcd", 1},
	}
	for _, c := range cases {
		if got := CER(c.got, c.want); got != c.cer {
			t.Errorf("CER(%q, %q) = %v, want %v", c.got, c.want, got, c.cer)
		}
	}
}
