package sni

import (
	"math/rand/v2"
	"testing"
)

// TestBadHostByteScreen checks the 8-byte screen against the exact loop.
func TestBadHostByteScreen(t *testing.T) {
	alphabet := []byte("ab.-_Z0\x00 \x7f\x80\xff/")
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		name := make([]byte, r.IntN(80))
		for i := range name {
			name[i] = alphabet[r.IntN(len(alphabet))]
		}
		if got, want := badHostByte(name), badHostByteExact(name); got != want {
			t.Fatalf("badHostByte(%q) = %d; exact loop says %d", name, got, want)
		}
	}
}

func FuzzBadHostByte(f *testing.F) {
	f.Add([]byte("a.example.com."))
	f.Add([]byte("aaaaaaa..bbbbbb"))
	f.Fuzz(func(t *testing.T, name []byte) {
		if got, want := badHostByte(name), badHostByteExact(name); got != want {
			t.Fatalf("badHostByte(%q) = %d; exact loop says %d", name, got, want)
		}
	})
}
