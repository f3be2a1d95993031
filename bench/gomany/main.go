// gomany parks N goroutines, each 10 frames deep, for bench/go.py to
// compare `cleak stack` with the runtime's own goroutine dump.
//
// stdin commands, one line each, one line of answer:
//
//	dump   write pprof's goroutine debug=2 profile to /dev/null; answer
//	       "dump SECONDS BYTES GOROUTINES_SHOWN"
//	stall  answer "stall MS": the longest gap a 1 ms ticker saw since the
//	       last "stall", i.e. how long the program was held up
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"
)

var block = make(chan struct{})

//go:noinline
func deep(n int) {
	if n == 0 {
		<-block
		return
	}
	deep(n - 1)
}

var maxGap atomic.Int64

func watch() {
	last := time.Now()
	for now := range time.Tick(time.Millisecond) {
		gap := now.Sub(last).Nanoseconds()
		if gap > maxGap.Load() {
			maxGap.Store(gap)
		}
		last = now
	}
}

func main() {
	n := 100000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	for i := 0; i < n; i++ {
		go deep(8) // with the goroutine's entry and deep(0): 10 frames
	}
	go watch()
	time.Sleep(500 * time.Millisecond)
	maxGap.Store(0)
	fmt.Println("ready", os.Getpid())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "dump":
			var buf bytes.Buffer
			t0 := time.Now()
			pprof.Lookup("goroutine").WriteTo(&buf, 2)
			secs := time.Since(t0).Seconds()
			shown := bytes.Count(buf.Bytes(), []byte("\ngoroutine ")) + 1
			fmt.Println("dump", secs, buf.Len(), shown)
		case "stall":
			fmt.Println("stall", float64(maxGap.Swap(0))/1e6)
		}
	}
}
