// tlsload-go: the handshake load client of the stapled vs HAProxy runs, on Go's crypto/tls.
//
// Why a second client beside tlsload.c: an OpenSSL 3.0 client spends more CPU per full handshake
// than either proxy (provider and decoder look-ups, locks, allocation), so with the client on one
// core and the proxy on the other the client saturates first and a handshakes/s ratio measures the
// client. Go's TLS client costs a fraction of that per handshake, and it always sends
// status_request, so every handshake asks for a staple. Same modes, options and output line as
// tlsload.c for what it does:
//
//	full    a new TCP+TLS connection for every request, never resumed
//	resume  a new connection for every request, resuming the last session (tickets)
//
// -S (no status_request) is not possible with crypto/tls; the run uses tlsload.c for that case.
// Bounded: -w seconds of warm-up, then -d seconds measured; one line of key=value pairs on stdout.
// Build: go build -o tlsload-go . (standard library only, no module downloads)
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type counters struct {
	requests, handshakes, resumed, stapled, errors, connectErrors uint64
	allRequests, allHandshakes                                    uint64
}

func main() {
	mode := flag.String("m", "full", "full|resume")
	host := flag.String("h", "127.0.0.1", "server address")
	port := flag.Int("p", 8443, "server port")
	sni := flag.String("s", "ecdsa.bench.test", "server name")
	path := flag.String("u", "/", "request path")
	conc := flag.Int("c", 32, "concurrent connections")
	duration := flag.Float64("d", 10, "measured seconds")
	warmup := flag.Float64("w", 2, "warm-up seconds")
	version := flag.String("t", "", "1.2 or 1.3 (default: both)")
	flag.Parse()
	if *mode != "full" && *mode != "resume" {
		fmt.Fprintln(os.Stderr, "tlsload-go: -m full|resume")
		os.Exit(2)
	}

	cfg := &tls.Config{
		ServerName:         *sni,
		InsecureSkipVerify: true, // it measures servers, not its own chain checks
		NextProtos:         []string{"http/1.1"},
	}
	switch *version {
	case "1.2":
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	case "1.3":
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	}
	if *mode == "resume" {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	addr := net.JoinHostPort(*host, strconv.Itoa(*port))
	request := []byte("GET " + *path + " HTTP/1.1\r\nHost: " + *sni + "\r\nUser-Agent: tlsload-go\r\n\r\n")

	start := time.Now()
	warmEnd := start.Add(time.Duration(*warmup * float64(time.Second)))
	end := warmEnd.Add(time.Duration(*duration * float64(time.Second)))
	var c counters
	var latMu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				measuring := !t0.Before(warmEnd)
				outcome := exchange(addr, cfg, request)
				if outcome.connectFailed {
					if measuring {
						atomic.AddUint64(&c.connectErrors, 1)
					}
					continue
				}
				if outcome.handshook {
					atomic.AddUint64(&c.allHandshakes, 1)
					if measuring {
						atomic.AddUint64(&c.handshakes, 1)
						if outcome.resumed {
							atomic.AddUint64(&c.resumed, 1)
						}
						if outcome.stapled {
							atomic.AddUint64(&c.stapled, 1)
						}
					}
				}
				if outcome.err != nil {
					if measuring {
						atomic.AddUint64(&c.errors, 1)
					}
					continue
				}
				atomic.AddUint64(&c.allRequests, 1)
				if measuring && time.Now().Before(end) {
					atomic.AddUint64(&c.requests, 1)
					local = append(local, time.Since(t0))
				}
			}
			latMu.Lock()
			latencies = append(latencies, local...)
			latMu.Unlock()
		}()
	}
	wg.Wait()
	secs := end.Sub(warmEnd).Seconds()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	fmt.Printf("mode=%s secs=%.3f conc=%d requests=%d rps=%.1f handshakes=%d hps=%.1f resumed=%d "+
		"all_requests=%d all_handshakes=%d stapled=%d errors=%d connect_errors=%d held=0 dropped=0 "+
		"p50_us=%d p99_us=%d p999_us=%d client_cpu_s=%.3f wall_s=%.3f client=go%s gomaxprocs=%d\n",
		*mode, secs, *conc, c.requests, float64(c.requests)/secs, c.handshakes, float64(c.handshakes)/secs,
		c.resumed, c.allRequests, c.allHandshakes, c.stapled, c.errors, c.connectErrors,
		percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 0.999),
		cpu, time.Since(start).Seconds(), runtime.Version()[2:], runtime.GOMAXPROCS(0))
}

type outcome struct {
	connectFailed, handshook, resumed, stapled bool
	err                                        error
}

// exchange is one connection: connect, handshake, one GET, read the whole response, close (FIN).
func exchange(addr string, cfg *tls.Config, request []byte) (o outcome) {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		o.connectFailed = true
		return
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	conn := tls.Client(raw, cfg)
	if o.err = conn.Handshake(); o.err != nil {
		return
	}
	o.handshook = true
	state := conn.ConnectionState()
	o.resumed = state.DidResume
	o.stapled = len(state.OCSPResponse) > 0
	if _, o.err = conn.Write(request); o.err != nil {
		return
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 4096), nil)
	if err != nil {
		o.err = err
		return
	}
	_, o.err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return
}

func percentile(sorted []time.Duration, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i].Microseconds()
}
