package reference

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

	"github.com/hookbench/hookbench/conformance"
)

// PolicyDoc is the body of GET /policy.
type PolicyDoc struct {
	// Policy is the effective policy: durations already multiplied by
	// TimeScale.
	Policy    conformance.Policy `json:"policy"`
	TimeScale float64            `json:"time_scale"`
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
func (p *Provider) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	if path == "/healthz" {
		writeJSON(ctx, 200, map[string]string{"status": "ok"})
		return
	}
	if p.opts.APIKey != "" {
		got := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
		want := "Bearer " + p.opts.APIKey
		if subtle.ConstantTimeCompare(got, []byte(want)) != 1 {
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
	var ie *InputError
	switch {
	case errors.As(err, &ie):
		writeJSON(ctx, ie.Status, apiError{Error: ie.Error(), Field: ie.Field})
	case errors.Is(err, ErrNotFound):
		writeJSON(ctx, fasthttp.StatusNotFound, apiError{Error: err.Error()})
	case errors.Is(err, ErrQueueFull):
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, "1")
		writeJSON(ctx, fasthttp.StatusServiceUnavailable, apiError{Error: "delivery queue full, retry later"})
	case errors.Is(err, ErrClosed):
		writeJSON(ctx, fasthttp.StatusServiceUnavailable, apiError{Error: "provider is shutting down"})
	default:
		p.log("reference: api %s %s: %v", ctx.Method(), ctx.Path(), err)
		writeJSON(ctx, fasthttp.StatusInternalServerError, apiError{Error: err.Error()})
	}
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
