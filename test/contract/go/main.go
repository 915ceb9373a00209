// Command argocd-contract evaluates an argocd-notifications-cm the way Argo CD's notifications controller
// does, with the engines Argo CD uses, and prints what it would send as JSON. It is the contract test's
// stand-in for a real Argo CD: the test compares which triggers fire with the expectations and POSTs each
// rendered request to a running argocd-hook-alerts service.
//
// What is mirrored, and from where:
//   - ConfigMap values (triggers, templates, services, context) are parsed with sigs.k8s.io/yaml into
//     structs with JSON tags, as notifications-engine pkg/api/config.go does (YAML to JSON, then
//     encoding/json: field names match case-insensitively, unknown fields are ignored, YAML 1.1 scalars).
//   - triggers: `trigger.<name>` is a YAML list of conditions {when, send, oncePer}; each `when` is compiled
//     with expr.Compile (no typed env) and run with expr.Run; an error counts as "not fired", silently
//     (notifications-engine pkg/triggers/service.go). We report the error instead of hiding it.
//   - vars: {app: <Application as unstructured map>, context: {<context key of the ConfigMap>,
//     notificationType}, secrets, time: {Now, Parse, durations, layouts}, strings: {ReplaceAll}}
//     (argo-cd util/notification/settings/settings.go, util/notification/expression/*). `repo.*` needs an
//     Argo CD API server and is not provided: a condition that calls it reports an error here.
//   - templates: Go text/template with exactly the functions of the notifications-engine commit Argo CD 3.5
//     pins (v0.5.1-0.20260503100631-0cff13b8a717, pkg/templates/service.go): sprig/v3 v3.3.0's
//     TxtFuncMap() minus env and expandenv, nothing else (no Slack helpers: a template that calls one
//     makes Argo CD refuse the whole ConfigMap). Debian packages sprig 3.2.3, which lacks only v3.3.0's
//     sha512sum: it is added here as v3.3.0 defines it. Every template's `message` is parsed and
//     rendered first, then the webhook section `webhook.<service>` renders body and path
//     (pkg/services/services.go getTemplater); vars get `serviceType` and `recipient` (pkg/api/api.go).
//   - webhook service: `service.webhook.<name>` {url, headers}; `$key` references are replaced by the
//     secret's values in every string scalar (pkg/api/config.go); the request URL is the service URL, a
//     slash and the rendered path; the method defaults to GET (pkg/services/webhook.go).
//
// Build in GOPATH mode with Debian's packages (no module downloads):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o bin/argocd-contract .
package main

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	sprig "github.com/Masterminds/sprig"
	"github.com/antonmedv/expr"
	"github.com/antonmedv/expr/vm"
	yaml "gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// The JSON tags are those of notifications-engine's types (pkg/triggers.Condition,
// pkg/services.Notification, WebhookNotification, WebhookOptions, Header): sigs.k8s.io/yaml decodes by them.
type condition struct {
	When        string   `json:"when,omitempty"`
	Send        []string `json:"send,omitempty"`
	OncePer     string   `json:"oncePer,omitempty"`
	Description string   `json:"description,omitempty"`
}

type webhookTemplate struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body"`
}

type notificationTemplate struct {
	Message string                     `json:"message,omitempty"`
	Webhook map[string]webhookTemplate `json:"webhook,omitempty"`
}

type header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type webhookService struct {
	URL     string   `json:"url"`
	Headers []header `json:"headers"`
}

type conditionResult struct {
	Index     int      `json:"index"`
	When      string   `json:"when"`
	Fired     bool     `json:"fired"`
	Error     *string  `json:"error"`
	OncePer   string   `json:"oncePer,omitempty"`
	Templates []string `json:"templates"`
}

type request struct {
	Trigger  string   `json:"trigger"`
	Template string   `json:"template"`
	Service  string   `json:"service"`
	Method   string   `json:"method"`
	URL      string   `json:"url"`
	Headers  []header `json:"headers"`
	Body     string   `json:"body"`
	Message  string   `json:"message"`
	Error    *string  `json:"error"`
}

type appResult struct {
	File     string                       `json:"file"`
	Triggers map[string][]conditionResult `json:"triggers"`
	Requests []request                    `json:"requests"`
}

type output struct {
	ExprVersion string      `json:"exprEngine"`
	Apps        []appResult `json:"apps"`
}

type config struct {
	triggers   map[string][]condition
	programs   map[string]*vm.Program
	templates  map[string]*compiledTemplate
	services   map[string]webhookService
	context    map[string]string
	secretData map[string]string
}

type compiledTemplate struct {
	message  *template.Template
	webhooks map[string]*compiledWebhook
}

type compiledWebhook struct {
	method string
	body   *template.Template
	path   *template.Template
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "argocd-contract: "+format+"\n", args...)
	os.Exit(2)
}

// readDocuments returns every YAML document of a file as a generic map.
func readDocuments(file string) ([]map[string]interface{}, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var docs []map[string]interface{}
	for {
		var doc map[string]interface{}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	return docs, nil
}

// stringMap reads a ConfigMap/Secret `data` or `stringData` section as strings.
func stringMap(doc map[string]interface{}, key string) map[string]string {
	res := map[string]string{}
	section, ok := doc[key].(map[string]interface{})
	if !ok {
		return res
	}
	for k, v := range section {
		if s, ok := v.(string); ok {
			res[k] = s
		}
	}
	return res
}

func findKind(docs []map[string]interface{}, kind string) map[string]interface{} {
	for _, d := range docs {
		if d["kind"] == kind {
			return d
		}
	}
	return nil
}

// Argo CD's pattern for secret references in service configuration (pkg/api/config.go).
var keyPattern = regexp.MustCompile(`[$][\w-]+`)

func replaceStringSecret(val string, secret map[string]string) string {
	return keyPattern.ReplaceAllStringFunc(val, func(ref string) string {
		if v, ok := secret[ref[1:]]; ok {
			return v
		}
		return ref
	})
}

func walk(node *yaml.Node, visit func(*yaml.Node)) {
	visit(node)
	for _, c := range node.Content {
		walk(c, visit)
	}
}

func loadConfig(cmFile, secretFile string) (*config, error) {
	docs, err := readDocuments(cmFile)
	if err != nil {
		return nil, err
	}
	cm := findKind(docs, "ConfigMap")
	if cm == nil {
		return nil, fmt.Errorf("%s holds no ConfigMap document", cmFile)
	}
	data := stringMap(cm, "data")
	secretData := map[string]string{}
	if secretFile != "" {
		sdocs, err := readDocuments(secretFile)
		if err != nil {
			return nil, err
		}
		secret := findKind(sdocs, "Secret")
		if secret == nil {
			return nil, fmt.Errorf("%s holds no Secret document", secretFile)
		}
		for k, v := range stringMap(secret, "stringData") {
			secretData[k] = v
		}
		// `data` values are base64 in a Secret; the test writes stringData, so data is taken as given.
		for k, v := range stringMap(secret, "data") {
			secretData[k] = v
		}
	}

	cfg := &config{
		triggers:   map[string][]condition{},
		programs:   map[string]*vm.Program{},
		templates:  map[string]*compiledTemplate{},
		services:   map[string]webhookService{},
		context:    map[string]string{},
		secretData: secretData,
	}
	if ctx, ok := data["context"]; ok {
		if err := sigsyaml.Unmarshal([]byte(ctx), &cfg.context); err != nil {
			return nil, fmt.Errorf("context: %w", err)
		}
	}

	funcs := templateFuncs()

	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := data[k]
		switch {
		case strings.HasPrefix(k, "trigger."):
			name := strings.TrimPrefix(k, "trigger.")
			var conds []condition
			if err := sigsyaml.Unmarshal([]byte(v), &conds); err != nil {
				return nil, fmt.Errorf("failed to unmarshal trigger %s: %w", name, err)
			}
			for _, c := range conds {
				when := c.When
				if when == "" {
					when = "false"
				}
				prog, err := expr.Compile(when)
				if err != nil {
					// Argo CD refuses the whole configuration when one condition does not compile.
					return nil, fmt.Errorf("trigger %s: condition does not compile: %w", name, err)
				}
				cfg.programs[c.When] = prog
			}
			cfg.triggers[name] = conds
		case strings.HasPrefix(k, "template."):
			name := strings.TrimPrefix(k, "template.")
			var t notificationTemplate
			if err := sigsyaml.Unmarshal([]byte(v), &t); err != nil {
				return nil, fmt.Errorf("failed to unmarshal template %s: %w", name, err)
			}
			message, err := template.New(name).Funcs(funcs).Parse(t.Message)
			if err != nil {
				return nil, fmt.Errorf("template %s message: %w", name, err)
			}
			compiled := map[string]*compiledWebhook{}
			for svc, w := range t.Webhook {
				body, err := template.New(name + svc).Funcs(funcs).Parse(w.Body)
				if err != nil {
					return nil, fmt.Errorf("template %s webhook %s body: %w", name, svc, err)
				}
				path, err := template.New(name + svc).Funcs(funcs).Parse(w.Path)
				if err != nil {
					return nil, fmt.Errorf("template %s webhook %s path: %w", name, svc, err)
				}
				compiled[svc] = &compiledWebhook{method: w.Method, body: body, path: path}
			}
			cfg.templates[name] = &compiledTemplate{message: message, webhooks: compiled}
		case strings.HasPrefix(k, "service.webhook."):
			name := strings.TrimPrefix(k, "service.webhook.")
			var node yaml.Node
			if err := yaml.Unmarshal([]byte(v), &node); err != nil {
				return nil, fmt.Errorf("service %s: %w", name, err)
			}
			walk(&node, func(n *yaml.Node) {
				if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
					n.Value = replaceStringSecret(n.Value, secretData)
				}
			})
			replaced, err := yaml.Marshal(&node)
			if err != nil {
				return nil, fmt.Errorf("service %s: %w", name, err)
			}
			var svc webhookService
			if err := sigsyaml.Unmarshal(replaced, &svc); err != nil {
				return nil, fmt.Errorf("service %s: %w", name, err)
			}
			cfg.services[name] = svc
		}
	}
	return cfg, nil
}

// templateFuncs is the function map of notifications-engine 0cff13b8a717 pkg/templates/service.go:
// sprig/v3 v3.3.0's TxtFuncMap() minus env and expandenv.
func templateFuncs() template.FuncMap {
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	if _, ok := funcs["sha512sum"]; !ok {
		// sprig v3.3.0 crypto.go
		funcs["sha512sum"] = func(input string) string {
			hash := sha512.Sum512([]byte(input))
			return hex.EncodeToString(hash[:])
		}
	}
	return funcs
}

// toUnstructured converts JSON numbers the way Kubernetes' unstructured decoding does: int64 when the
// number is integral, float64 otherwise.
func toUnstructured(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			x[k] = toUnstructured(e)
		}
		return x
	case []interface{}:
		for i, e := range x {
			x[i] = toUnstructured(e)
		}
		return x
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			fail("number %s: %v", x, err)
		}
		return f
	default:
		return v
	}
}

func readApp(file string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var app map[string]interface{}
	if err := dec.Decode(&app); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return toUnstructured(app).(map[string]interface{}), nil
}

func exprHelpers(now func() time.Time) map[string]interface{} {
	parse := func(ts string) time.Time {
		res, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			panic(err)
		}
		return res
	}
	return map[string]interface{}{
		"time": map[string]interface{}{
			"Parse": parse, "Now": now,
			"Nanosecond": time.Nanosecond, "Microsecond": time.Microsecond, "Millisecond": time.Millisecond,
			"Second": time.Second, "Minute": time.Minute, "Hour": time.Hour,
			"Layout": time.Layout, "ANSIC": time.ANSIC, "UnixDate": time.UnixDate, "RubyDate": time.RubyDate,
			"RFC822": time.RFC822, "RFC822Z": time.RFC822Z, "RFC850": time.RFC850, "RFC1123": time.RFC1123,
			"RFC1123Z": time.RFC1123Z, "RFC3339": time.RFC3339, "RFC3339Nano": time.RFC3339Nano,
			"Kitchen": time.Kitchen, "Stamp": time.Stamp, "StampMilli": time.StampMilli,
			"StampMicro": time.StampMicro, "StampNano": time.StampNano,
		},
		"strings": map[string]interface{}{
			"ReplaceAll": func(s, old, new string) string { return strings.ReplaceAll(s, old, new) },
		},
	}
}

// getVars mirrors argo-cd's initGetVars + expression.Spawn for one destination service.
func (cfg *config) getVars(app map[string]interface{}, service string, now func() time.Time) map[string]interface{} {
	ctx := map[string]string{"notificationType": service}
	for k, v := range cfg.context {
		ctx[k] = v
	}
	secrets := map[string][]byte{}
	for k, v := range cfg.secretData {
		secrets[k] = []byte(v)
	}
	vars := map[string]interface{}{"app": app, "context": ctx, "secrets": secrets}
	for k, v := range exprHelpers(now) {
		vars[k] = v
	}
	return vars
}

func runCondition(prog *vm.Program, vars map[string]interface{}) (fired bool, errText *string) {
	defer func() {
		if r := recover(); r != nil {
			s := fmt.Sprintf("panic: %v", r)
			fired, errText = false, &s
		}
	}()
	val, err := expr.Run(prog, vars)
	if err != nil {
		s := err.Error()
		return false, &s
	}
	b, ok := val.(bool)
	return ok && b, nil
}

func (cfg *config) render(trigger, tmplName, recipient string, app map[string]interface{}, now func() time.Time) []request {
	tmpl, ok := cfg.templates[tmplName]
	if !ok {
		s := fmt.Sprintf("template '%s' is not supported", tmplName)
		return []request{{Trigger: trigger, Template: tmplName, Error: &s}}
	}
	compiled := tmpl.webhooks
	svcNames := make([]string, 0, len(compiled))
	for name := range compiled {
		svcNames = append(svcNames, name)
	}
	sort.Strings(svcNames)
	var out []request
	for _, svcName := range svcNames {
		w := compiled[svcName]
		req := request{Trigger: trigger, Template: tmplName, Service: svcName, Headers: []header{}}
		vars := cfg.getVars(app, svcName, now)
		vars["serviceType"] = svcName
		vars["recipient"] = recipient
		var message, body, path bytes.Buffer
		// The message renders first, for every service: an error in it fails the whole notification.
		if err := tmpl.message.Execute(&message, vars); err != nil {
			s := "message: " + err.Error()
			req.Error = &s
			out = append(out, req)
			continue
		}
		req.Message = message.String()
		if err := w.body.Execute(&body, vars); err != nil {
			s := err.Error()
			req.Error = &s
			out = append(out, req)
			continue
		}
		if err := w.path.Execute(&path, vars); err != nil {
			s := err.Error()
			req.Error = &s
			out = append(out, req)
			continue
		}
		req.Body = body.String()
		req.Method = w.method
		if req.Method == "" {
			req.Method = "GET"
		}
		svc, ok := cfg.services[svcName]
		if !ok {
			s := fmt.Sprintf("notification service '%s' is not supported", svcName)
			req.Error = &s
		} else {
			req.URL = svc.URL
			if p := path.String(); p != "" {
				req.URL = strings.TrimRight(svc.URL, "/") + "/" + strings.TrimLeft(p, "/")
			}
			req.Headers = append(req.Headers, svc.Headers...)
		}
		out = append(out, req)
	}
	return out
}

func main() {
	cmFile := flag.String("cm", "", "argocd-notifications-cm YAML (a ConfigMap or a patch of one)")
	secretFile := flag.String("secret", "", "argocd-notifications-secret YAML (optional)")
	recipient := flag.String("recipient", "", "recipient of the subscription, as in <trigger>.<service>: \"<recipient>\"")
	nowFlag := flag.String("now", "", "RFC 3339 time that time.Now() returns (default: the real clock)")
	listFuncs := flag.Bool("list-funcs", false, "print the names of the template functions as a JSON list and exit")
	flag.Parse()
	if *listFuncs {
		names := []string{}
		for name := range templateFuncs() {
			names = append(names, name)
		}
		sort.Strings(names)
		if err := json.NewEncoder(os.Stdout).Encode(names); err != nil {
			fail("%v", err)
		}
		return
	}
	if *cmFile == "" || flag.NArg() == 0 {
		fail("usage: argocd-contract -cm CM.yaml [-secret S.yaml] [-recipient R] [-now T] APP.json...")
	}
	now := time.Now
	if *nowFlag != "" {
		fixed, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			fail("-now: %v", err)
		}
		now = func() time.Time { return fixed }
	}
	cfg, err := loadConfig(*cmFile, *secretFile)
	if err != nil {
		fail("%v", err)
	}
	names := make([]string, 0, len(cfg.triggers))
	for name := range cfg.triggers {
		names = append(names, name)
	}
	sort.Strings(names)

	res := output{ExprVersion: "github.com/antonmedv/expr (GOPATH)", Apps: []appResult{}}
	for _, file := range flag.Args() {
		app, err := readApp(file)
		if err != nil {
			fail("%v", err)
		}
		ar := appResult{File: file, Triggers: map[string][]conditionResult{}, Requests: []request{}}
		for _, name := range names {
			for i, c := range cfg.triggers[name] {
				// RunTrigger evaluates with an empty destination (pkg/api/api.go).
				fired, errText := runCondition(cfg.programs[c.When], cfg.getVars(app, "", now))
				templates := c.Send
				if templates == nil {
					templates = []string{}
				}
				ar.Triggers[name] = append(ar.Triggers[name], conditionResult{
					Index: i, When: c.When, Fired: fired, Error: errText, OncePer: c.OncePer, Templates: templates,
				})
				if fired {
					for _, t := range c.Send {
						ar.Requests = append(ar.Requests, cfg.render(name, t, *recipient, app, now)...)
					}
				}
			}
		}
		res.Apps = append(res.Apps, ar)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fail("%v", err)
	}
}
