package sni_test

import (
	"fmt"
	"os"

	"github.com/drawbridge-go/drawbridge/sni"
)

func ExampleHello_JA4() {
	b, _ := os.ReadFile("testdata/clienthello/go_default.bin")
	h, err := sni.Parse(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.JA4())
	fmt.Println(h.JA3())
	fmt.Printf("%s\n", h.AppendJA3String(nil)[:40])
	// Output:
	// t13d131100_f57a46bbacb6_ab7e3b40a677
	// 9b7dcdf3f997f1fb7b4409c94cb7ef36
	// 771,49195-49199-49196-49200-52393-52392-
}
