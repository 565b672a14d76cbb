//go:build !linux

package proxy

import "net"

// loopSet is empty where sessions are always copied by goroutines.
type loopSet struct{}

// handoff reports false: without epoll, goroutines copy every session.
func (s *Server) handoff(*session, net.Conn, net.Conn) bool { return false }

func (s *Server) killLoops() {}

func (s *Server) stopLoops() {}

// dialInLoop reports false: goroutines dial every target.
func (s *Server) dialInLoop(*session, []string, net.Conn, *[]byte, int) bool { return false }

// serveLoops reports false: Serve accepts with goroutines.
func (s *Server) serveLoops(net.Listener) (bool, error) { return false, nil }
