package routegen

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// TestFromBytes checks that FromBytes reads data as zero-padded words:
// any data gives a configuration (a zero word does not send IntN into its
// rejection loop), the same data the same configuration, and trailing zero
// bytes change nothing.
func TestFromBytes(t *testing.T) {
	data := make([]byte, 1024)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint64())
	}
	for _, n := range []int{0, 1, 7, 8, 9, 40, 1024} {
		d := data[:n]
		got := mustJSON(t, FromBytes(d))
		if again := mustJSON(t, FromBytes(d)); again != got {
			t.Errorf("FromBytes(data[:%d]) twice: %s, then %s", n, got, again)
		}
		padded := append(d[:n:n], make([]byte, 3*8+5)...)
		if p := mustJSON(t, FromBytes(padded)); p != got {
			t.Errorf("FromBytes(data[:%d] + zeros) = %s; want %s", n, p, got)
		}
	}
	if mustJSON(t, FromBytes(nil)) != mustJSON(t, FromBytes(make([]byte, 64))) {
		t.Error("FromBytes(nil) differs from FromBytes(64 zero bytes)")
	}
}

// TestBytesSource checks the words bytesSource reads: big-endian, the last
// one zero-padded, a zero word as zeroWord.
func TestBytesSource(t *testing.T) {
	s := &bytesSource{data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff}}
	for i, want := range []uint64{0x0102030405060708, zeroWord, 0xff00000000000000, zeroWord, zeroWord} {
		if got := s.Uint64(); got != want {
			t.Errorf("word %d = %#x; want %#x", i, got, want)
		}
	}
	r := rand.New(&bytesSource{})
	for _, n := range []int{2, 3, 5, 6, 7, 100} {
		if got := r.IntN(n); got != 0 {
			t.Errorf("IntN(%d) past the end = %d; want 0", n, got)
		}
	}
	if f := r.Float64(); f >= 1e-6 {
		t.Errorf("Float64() past the end = %v; want below 1e-6", f)
	}
}
