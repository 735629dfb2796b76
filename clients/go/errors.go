package memoric

import (
	"errors"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FieldViolation names one invalid request field.
type FieldViolation struct {
	Field       string
	Description string
}

// Error is a failed call with the server's structured details decoded.
type Error struct {
	Code    codes.Code
	Message string
	// FieldViolations lists every invalid field (InvalidArgument), all at once.
	FieldViolations []FieldViolation
	// RetryDelay is the server's retry hint (RetryInfo, else the retry-after header); 0 when none.
	RetryDelay time.Duration
	// Reason is the ErrorInfo reason, e.g. "TOKEN_EXPIRED", "PERMISSION_MISSING".
	Reason        string
	ErrorMetadata map[string]string
	cause         error
}

func (e *Error) Error() string { return e.Code.String() + ": " + e.Message }

// Unwrap returns the gRPC status error.
func (e *Error) Unwrap() error { return e.cause }

// GRPCStatus lets status.FromError and status.Code see through an *Error.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

// CodeName is the code as gRPC spells it: "NOT_FOUND".
func (e *Error) CodeName() string { return codeNames[e.Code] }

var codeNames = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN", codes.InvalidArgument: "INVALID_ARGUMENT",
	codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED", codes.OutOfRange: "OUT_OF_RANGE",
	codes.Unimplemented: "UNIMPLEMENTED", codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE",
	codes.DataLoss: "DATA_LOSS", codes.Unauthenticated: "UNAUTHENTICATED",
}

// AsError converts any error from a call into an *Error (nil stays nil).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	st := status.Convert(err)
	out := &Error{Code: st.Code(), Message: st.Message(), ErrorMetadata: map[string]string{}, cause: err}
	for _, d := range st.Details() {
		switch v := d.(type) {
		case *errdetails.BadRequest:
			for _, fv := range v.GetFieldViolations() {
				out.FieldViolations = append(out.FieldViolations, FieldViolation{fv.GetField(), fv.GetDescription()})
			}
		case *errdetails.RetryInfo:
			if rd := v.GetRetryDelay(); rd != nil {
				out.RetryDelay = time.Duration(rd.GetSeconds())*time.Second + time.Duration(rd.GetNanos())
			}
		case *errdetails.ErrorInfo:
			out.Reason = v.GetReason()
			for k, val := range v.GetMetadata() {
				out.ErrorMetadata[k] = val
			}
		}
	}
	return out
}
