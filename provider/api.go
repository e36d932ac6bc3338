package provider

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/hookbench/hookbench/policy"
)

// PolicyDoc is the body of GET /policy.
type PolicyDoc struct {
	// Policy is the effective policy: durations already multiplied by
	// TimeScale.
	Policy    policy.Policy `json:"policy"`
	TimeScale float64       `json:"time_scale"`
	// Faults are the faults switched on; the policy is what the provider
	// claims regardless.
	Faults []string `json:"faults"`
}

// apiError is the JSON body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func (p *Provider) handleServeError(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		writeJSON(ctx, fasthttp.StatusRequestEntityTooLarge,
			apiError{Error: fmt.Sprintf("request body over %d bytes", p.opts.MaxBody), Field: "body"})
		return
	}
	writeJSON(ctx, fasthttp.StatusBadRequest, apiError{Error: "bad request: " + err.Error()})
}

// handle routes API requests.
// health is the answer of GET /healthz: besides the status, how many
// Accepts failed and were retried, and how many connections were refused
// past Options.MaxAPIConns.
type health struct {
	Status       string `json:"status"`
	AcceptErrors uint64 `json:"accept_errors"`
	OverCapacity uint64 `json:"over_capacity"`
}

// bearerOK reports whether an Authorization value carries key with the
// Bearer scheme, whose name is case-insensitive (RFC 9110 11.1). The key is
// compared in constant time.
func bearerOK(value []byte, key string) bool {
	const scheme = "bearer"
	if len(value) <= len(scheme) || !strings.EqualFold(string(value[:len(scheme)]), scheme) || value[len(scheme)] != ' ' {
		return false
	}
	return subtle.ConstantTimeCompare(bytes.TrimLeft(value[len(scheme):], " "), []byte(key)) == 1
}

func (p *Provider) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	if path == "/healthz" {
		writeJSON(ctx, 200, health{Status: "ok", AcceptErrors: p.AcceptErrors(), OverCapacity: p.OverCapacity()})
		return
	}
	if p.opts.APIKey != "" {
		if !bearerOK(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), p.opts.APIKey) {
			ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="hookbench-reference"`)
			writeJSON(ctx, fasthttp.StatusUnauthorized, apiError{Error: "missing or wrong API key (Authorization: Bearer KEY)", Field: "Authorization"})
			return
		}
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	m := string(ctx.Method())
	switch {
	case path == "/endpoints":
		switch m {
		case fasthttp.MethodPost:
			p.apiCreateEndpoint(ctx)
		case fasthttp.MethodGet:
			writeJSON(ctx, 200, p.Endpoints())
		default:
			notAllowed(ctx, "GET, POST")
		}
	case len(parts) == 2 && parts[0] == "endpoints":
		switch m {
		case fasthttp.MethodGet:
			ep, err := p.Endpoint(parts[1])
			p.answer(ctx, 200, ep, err)
		case fasthttp.MethodDelete:
			if err := p.DeleteEndpoint(parts[1]); err != nil {
				p.answer(ctx, 0, nil, err)
				return
			}
			ctx.SetStatusCode(fasthttp.StatusNoContent)
		default:
			notAllowed(ctx, "GET, DELETE")
		}
	case len(parts) == 3 && parts[0] == "endpoints" && parts[2] == "rotate":
		if m != fasthttp.MethodPost {
			notAllowed(ctx, "POST")
			return
		}
		var req struct {
			Secret string `json:"secret"`
		}
		if len(bytes.TrimSpace(ctx.PostBody())) > 0 {
			if err := decodeStrict(ctx.PostBody(), &req); err != nil {
				p.answer(ctx, 0, nil, err)
				return
			}
		}
		ep, err := p.RotateSecret(parts[1], req.Secret)
		p.answer(ctx, 200, ep, err)
	case len(parts) == 3 && parts[0] == "endpoints" && parts[2] == "enable":
		if m != fasthttp.MethodPost {
			notAllowed(ctx, "POST")
			return
		}
		ep, err := p.EnableEndpoint(parts[1])
		p.answer(ctx, 200, ep, err)
	case path == "/events":
		if m != fasthttp.MethodPost {
			notAllowed(ctx, "POST")
			return
		}
		var req EventRequest
		if err := decodeStrict(ctx.PostBody(), &req); err != nil {
			p.answer(ctx, 0, nil, err)
			return
		}
		p.apiPublish(ctx, req, "")
	case len(parts) == 2 && parts[0] == "events":
		if m != fasthttp.MethodGet {
			notAllowed(ctx, "GET")
			return
		}
		ev, err := p.Event(parts[1])
		p.answer(ctx, 200, ev, err)
	case len(parts) == 3 && parts[0] == "events" && parts[2] == "attempts":
		if m != fasthttp.MethodGet {
			notAllowed(ctx, "GET")
			return
		}
		at, err := p.Attempts(parts[1])
		p.answer(ctx, 200, at, err)
	case path == "/policy":
		if m != fasthttp.MethodGet {
			notAllowed(ctx, "GET")
			return
		}
		writeJSON(ctx, 200, PolicyDoc{Policy: p.Policy(), TimeScale: p.opts.TimeScale, Faults: p.ActiveFaults()})
	case path == "/webhook":
		if m != fasthttp.MethodPost {
			notAllowed(ctx, "POST")
			return
		}
		var req struct {
			WebhookURL string `json:"webhookUrl"`
		}
		if err := decodeStrict(ctx.PostBody(), &req); err != nil {
			p.answer(ctx, 0, nil, err)
			return
		}
		ep, created, err := p.registerURL(req.WebhookURL)
		if err != nil {
			p.answer(ctx, 0, nil, err)
			return
		}
		status := fasthttp.StatusOK
		if created {
			status = fasthttp.StatusCreated
		}
		writeJSON(ctx, status, struct {
			Endpoint
			Message string `json:"message"`
		}{ep, "Webhook registered successfully!"})
	case path == "/trigger":
		if m != fasthttp.MethodPost {
			notAllowed(ctx, "POST")
			return
		}
		req := EventRequest{Type: seedEventType, Payload: json.RawMessage(seedPayload)}
		if len(bytes.TrimSpace(ctx.PostBody())) > 0 {
			req = EventRequest{}
			if err := decodeStrict(ctx.PostBody(), &req); err != nil {
				p.answer(ctx, 0, nil, err)
				return
			}
		}
		p.apiPublish(ctx, req, "Event triggered!")
	default:
		writeJSON(ctx, fasthttp.StatusNotFound, apiError{Error: "no such resource: " + strconv.Quote(path)})
	}
}

func (p *Provider) apiCreateEndpoint(ctx *fasthttp.RequestCtx) {
	var req EndpointRequest
	if err := decodeStrict(ctx.PostBody(), &req); err != nil {
		p.answer(ctx, 0, nil, err)
		return
	}
	ep, err := p.CreateEndpoint(req)
	p.answer(ctx, fasthttp.StatusCreated, ep, err)
}

func (p *Provider) apiPublish(ctx *fasthttp.RequestCtx, req EventRequest, message string) {
	hdr := p.opts.Policy.IdempotencyHeader
	if hdr == "" {
		hdr = IdempotencyHeader
	}
	res, err := p.Publish(req, string(ctx.Request.Header.Peek(hdr)))
	if err != nil {
		p.answer(ctx, 0, nil, err)
		return
	}
	if res.Replayed {
		ctx.Response.Header.Set("Idempotent-Replayed", "true")
	}
	if message == "" {
		writeJSON(ctx, fasthttp.StatusAccepted, res)
		return
	}
	writeJSON(ctx, fasthttp.StatusAccepted, struct {
		PublishResult
		Message string `json:"message"`
	}{res, message})
}

// answer writes v with status, or the error's status and JSON body.
func (p *Provider) answer(ctx *fasthttp.RequestCtx, status int, v any, err error) {
	if err == nil {
		writeJSON(ctx, status, v)
		return
	}
	code := StatusOf(err)
	switch {
	case errors.Is(err, ErrQueueFull):
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, "1")
		writeJSON(ctx, code, apiError{Error: "delivery queue full, retry later"})
	case errors.Is(err, ErrClosed):
		writeJSON(ctx, code, apiError{Error: "provider is shutting down"})
	case code == fasthttp.StatusInternalServerError:
		p.log("reference: api %s %s: %v", ctx.Method(), ctx.Path(), err)
		writeJSON(ctx, code, apiError{Error: err.Error()})
	default:
		var ie *InputError
		field := ""
		if errors.As(err, &ie) {
			field = ie.Field
		}
		writeJSON(ctx, code, apiError{Error: err.Error(), Field: field})
	}
}

// StatusOf is the HTTP status the provider's API answers an operation's
// error with: an InputError's own (400, 413), 404 for ErrNotFound, 503 for
// ErrQueueFull and ErrClosed, 500 for anything else; 200 for nil. An
// in-process caller maps errors the same way.
func StatusOf(err error) int {
	var ie *InputError
	switch {
	case err == nil:
		return fasthttp.StatusOK
	case errors.As(err, &ie):
		return ie.Status
	case errors.Is(err, ErrNotFound):
		return fasthttp.StatusNotFound
	case errors.Is(err, ErrQueueFull), errors.Is(err, ErrClosed):
		return fasthttp.StatusServiceUnavailable
	}
	return fasthttp.StatusInternalServerError
}

func notAllowed(ctx *fasthttp.RequestCtx, allow string) {
	ctx.Response.Header.Set(fasthttp.HeaderAllow, allow)
	writeJSON(ctx, fasthttp.StatusMethodNotAllowed, apiError{Error: "method not allowed; allowed: " + allow})
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = fasthttp.StatusInternalServerError
		b = []byte(`{"error":"encode answer"}`)
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(append(b, '\n'))
}

// decodeStrict decodes one JSON object into v: unknown fields, wrong
// types, trailing data and malformed JSON are errors naming the field.
func decodeStrict(body []byte, v any) *InputError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badInput("", "empty body: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return badInput("", fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se))
		case errors.As(err, &te):
			if te.Field == "" {
				return badInput("", "want a JSON object, got "+te.Value)
			}
			return badInput(te.Field, fmt.Sprintf("want %s, got %s", jsonKind(te.Type.Kind().String()), te.Value))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return badInput("", "malformed JSON: unexpected end of input")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f, _ := strconv.Unquote(name)
			if f == "" {
				f = name
			}
			return badInput(f, "unknown field")
		}
		return badInput("", "malformed JSON: "+err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badInput("", "trailing data after the JSON object")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "a " + goKind
}
