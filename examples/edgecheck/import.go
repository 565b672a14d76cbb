package main

import (
	"fmt"
	"io"
	"os"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/route"
)

// writeImport writes the route model of the files read (check.Importer)
// to file, and each import note to stderr. It returns whether the route
// file passes route.Config.Plan; when it does not, the plan's errors
// follow the notes.
func writeImport(file string, in *input, addrs []string, stderr io.Writer) (bool, error) {
	im := check.Importer{Edge: in.cfg, Maps: in.maps, EdgeFile: in.edgeFile, Objects: in.objs, Workload: in.workload, GatewayAddrs: addrs}
	c, notes, err := im.Import()
	if err != nil {
		return false, err
	}
	y, err := route.Marshal(c)
	if err != nil {
		return false, err
	}
	if err := os.WriteFile(file, y, 0o644); err != nil {
		return false, err
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "edgecheck: import: %s\n", n)
	}
	if _, err := c.Plan(); err != nil {
		fmt.Fprintf(stderr, "edgecheck: import: %s does not plan yet: %v\n", file, err)
		return false, nil
	}
	return true, nil
}
