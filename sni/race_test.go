//go:build race

package sni_test

const raceEnabled = true
