package db

import (
	"errors"
	"fmt"
)

// Code says what kind of failure an Error is; handlers map it to an HTTP
// status in one place.
type Code string

// The error vocabulary shared by the store and its callers.
const (
	EINVALID  Code = "invalid"
	ENOTFOUND Code = "not_found"
	ECONFLICT Code = "conflict"
	EINTERNAL Code = "internal"
	// EUNAVAILABLE: the database cannot take the change now (the disk is
	// full, the file read-only, the write lock held too long). Nothing was
	// stored; the same request can work later (faults.go).
	EUNAVAILABLE Code = "unavailable"
	// ECANCELED: whoever asked went away (the request's context ended)
	// before the answer was ready. Not a fault of ours.
	ECANCELED Code = "canceled"
)

// Error is a failure the caller can act on. Key names the message in the
// catalog that tells the user what happened; Detail is for logs and the
// command line. Field, when set, names the input the failure is about
// ("name", "title"), so a form can mark that field.
type Error struct {
	Code   Code
	Key    string
	Field  string
	Detail string
	Err    error
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	case e.Detail != "":
		return e.Detail
	default:
		return string(e.Code) + ": " + e.Key
	}
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of err, EINTERNAL for anything not ours, "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if classified := classify(err); classified != nil {
		return classified.Code
	}
	return EINTERNAL
}

// ErrorKey returns the catalog key of err, or "" when it has none.
func ErrorKey(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	if classified := classify(err); classified != nil {
		return classified.Key
	}
	return ""
}

// ErrorField returns the input field err is about, or "" when it names none.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Invalidf reports input the rules refuse.
func Invalidf(key, format string, args ...any) error {
	return &Error{Code: EINVALID, Key: key, Detail: fmt.Sprintf(format, args...)}
}

// NotFoundf reports that a thing does not exist.
func NotFoundf(key, format string, args ...any) error {
	return &Error{Code: ENOTFOUND, Key: key, Detail: fmt.Sprintf(format, args...)}
}

// Conflictf reports a clash with what is already stored.
func Conflictf(key, format string, args ...any) error {
	return &Error{Code: ECONFLICT, Key: key, Detail: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. A failure that is not ours to fix
// in code (the disk full, the caller gone) gets its own code here, once,
// for every store method: see classify in faults.go.
func Internal(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if classified := classify(err); classified != nil {
		return classified
	}
	return &Error{Code: EINTERNAL, Key: "error.internal", Err: err}
}

// invalidField reports input the rules refuse, naming the field it is about
// so that a form can mark it.
func invalidField(field, key, format string, args ...any) error {
	return &Error{Code: EINVALID, Key: key, Field: field, Detail: fmt.Sprintf(format, args...)}
}
