// SPDX-License-Identifier: GPL-2.0-or-later
//
// Package tap stands in for github.com/mndrix/tap-go, which Debian does not
// package, when tests/conformance/run.py builds the runtime-tools validation
// suite.  It provides just the calls the suite makes (New, Header, Ok, Pass,
// Fail, Skip, Todo, Diagnostic(f), YAML, AutoPlan, Count) and prints TAP 13
// in the same shape as the original, so the runner's TAP reader sees the
// same lines: "ok N - text", "not ok N - text", "ok N # SKIP text",
// "not ok N # TODO text", "# diagnostic", and YAML blocks (written as JSON,
// which is YAML) between "  ---" and "  ...".
package tap

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// T is one TAP stream.  Copies made by Todo share the test counter.
type T struct {
	counter *int
	todo    bool
	Writer  io.Writer
}

// New returns a stream that writes to standard output.
func New() *T {
	next := 1
	return &T{counter: &next}
}

func (t *T) out(format string, args ...interface{}) {
	w := t.Writer
	if w == nil {
		w = os.Stdout
	}
	fmt.Fprintf(w, format, args...)
}

// Header starts the stream; a positive count also prints the plan.
func (t *T) Header(count int) {
	t.out("TAP version 13\n")
	if count > 0 {
		t.out("1..%d\n", count)
	}
}

// Ok records one result.
func (t *T) Ok(pass bool, text string) {
	word := "ok"
	if !pass {
		word = "not ok"
	}
	if t.todo {
		t.out("%s %d # TODO %s\n", word, *t.counter, text)
	} else {
		t.out("%s %d - %s\n", word, *t.counter, text)
	}
	*t.counter++
}

// Pass records a passing result.
func (t *T) Pass(text string) { t.Ok(true, text) }

// Fail records a failing result.
func (t *T) Fail(text string) { t.Ok(false, text) }

// Skip records n skipped results.
func (t *T) Skip(n int, text string) {
	for ; n > 0; n-- {
		t.out("ok %d # SKIP %s\n", *t.counter, text)
		*t.counter++
	}
}

// Todo returns a stream whose results are marked TODO.
func (t *T) Todo() *T {
	c := *t
	c.todo = true
	return &c
}

// Count is the number of results recorded so far.
func (t *T) Count() int { return *t.counter - 1 }

// AutoPlan prints the plan for the results recorded so far.
func (t *T) AutoPlan() { t.out("1..%d\n", t.Count()) }

// Diagnostic prints a comment; every line of a multi-line text is a comment.
func (t *T) Diagnostic(text string) {
	t.out("# %s\n", strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n# "))
}

// Diagnosticf is Diagnostic with formatting.
func (t *T) Diagnosticf(format string, args ...interface{}) {
	t.Diagnostic(fmt.Sprintf(format, args...))
}

// YAML prints v as an indented YAML block (in JSON form).
func (t *T) YAML(v interface{}) error {
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	t.out("  ---\n  %s\n  ...\n", b)
	return nil
}
