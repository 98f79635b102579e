package fakebedrock

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// maxDocuments is how many documents Bedrock takes in one request.
const maxDocuments = 5

var documentFormats = []string{"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}

// documentName is Bedrock's alphabet for document names: alphanumerics,
// whitespace, hyphens, parentheses and square brackets, 1 to 200 long (no
// two whitespace characters in a row is checked apart).
var (
	documentName = regexp.MustCompile(`^[a-zA-Z0-9\s\-()\[\]]{1,200}$`)
	twoSpaces    = regexp.MustCompile(`\s\s`)
)

// validateDocuments checks document blocks, in messages and in tool
// results: a known format, a name in Bedrock's alphabet and unique in the
// request, non-empty base64 bytes, a text block beside every document of
// a message, and at most five documents.
func validateDocuments(req converseBody) string {
	n := 0
	names := map[string]bool{}
	check := func(where string, doc any) string {
		d, ok := doc.(map[string]any)
		if !ok {
			return where + ": document must be an object"
		}
		n++
		format, _ := d["format"].(string)
		if !slices.Contains(documentFormats, format) {
			return fmt.Sprintf("1 validation error detected: Value '%s' at '%s.format' failed to satisfy constraint: Member must satisfy enum value set: [%s]", format, where, strings.Join(documentFormats, ", "))
		}
		name, _ := d["name"].(string)
		if !documentName.MatchString(name) || twoSpaces.MatchString(name) {
			return fmt.Sprintf("%s.name: %q: the document name can only contain alphanumeric characters, whitespace characters (no more than one in a row), hyphens, parentheses and square brackets, 1 to 200 of them", where, name)
		}
		if names[name] {
			return fmt.Sprintf("%s.name: the document name %q is used twice; document names must be unique", where, name)
		}
		names[name] = true
		src, _ := d["source"].(map[string]any)
		b64, _ := src["bytes"].(string)
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) == 0 {
			return where + ".source.bytes: the document is empty or not base64"
		}
		return ""
	}
	for i, m := range req.Messages {
		hasText, hasDoc := false, -1
		for j, b := range m.Content {
			if _, ok := b["text"]; ok {
				hasText = true
			}
			if doc, ok := b["document"]; ok {
				if m.Role != "user" {
					return fmt.Sprintf("messages.%d.content.%d: documents are only allowed in user messages", i, j)
				}
				hasDoc = j
				if msg := check(fmt.Sprintf("messages.%d.member.content.%d.member.document", i, j), doc); msg != "" {
					return msg
				}
			}
			if tr, ok := b["toolResult"].(map[string]any); ok {
				content, _ := tr["content"].([]any)
				for k, c := range content {
					if cm, ok := c.(map[string]any); ok && cm["document"] != nil {
						if msg := check(fmt.Sprintf("messages.%d.member.content.%d.member.toolResult.content.%d.member.document", i, j, k), cm["document"]); msg != "" {
							return msg
						}
					}
				}
			}
		}
		if hasDoc >= 0 && !hasText {
			return fmt.Sprintf("messages.%d.content.%d: a message with a document must also have a text block", i, hasDoc)
		}
	}
	if n > maxDocuments {
		return fmt.Sprintf("Too many documents: a request can have at most %d documents, found %d.", maxDocuments, n)
	}
	return ""
}

// validateImages checks that every image block, in messages and in tool
// results, holds bytes: Bedrock refuses a zero-byte image.
func validateImages(req converseBody) string {
	check := func(where string, img any) string {
		m, _ := img.(map[string]any)
		src, _ := m["source"].(map[string]any)
		b64, _ := src["bytes"].(string)
		if raw, err := base64.StdEncoding.DecodeString(b64); err != nil || len(raw) == 0 {
			return fmt.Sprintf("1 validation error detected: Value at '%s.source.bytes' failed to satisfy constraint: Member must have length greater than or equal to 1", where)
		}
		return ""
	}
	for i, m := range req.Messages {
		for j, b := range m.Content {
			if img, ok := b["image"]; ok {
				if msg := check(fmt.Sprintf("messages.%d.member.content.%d.member.image", i, j), img); msg != "" {
					return msg
				}
			}
			tr, _ := b["toolResult"].(map[string]any)
			content, _ := tr["content"].([]any)
			for k, c := range content {
				if cm, ok := c.(map[string]any); ok && cm["image"] != nil {
					if msg := check(fmt.Sprintf("messages.%d.member.content.%d.member.toolResult.content.%d.member.image", i, j, k), cm["image"]); msg != "" {
						return msg
					}
				}
			}
		}
	}
	return ""
}

// validateCacheTTLs checks that every cache point's ttl, when set, is one
// Bedrock has, and that no five-minute cache point comes before a one-hour
// one (tools, then system, then messages).
func validateCacheTTLs(req converseBody) string {
	short := "" // where the last five-minute cache point was
	check := func(where string, cp any) string {
		m, _ := cp.(map[string]any)
		if m == nil {
			return ""
		}
		if m["ttl"] == "1h" && short != "" {
			return fmt.Sprintf("a cache point with ttl 1h at %s comes after one with ttl 5m at %s: cache points with a longer ttl must come first", where, short)
		}
		if ttl, ok := m["ttl"]; !ok || ttl == "5m" {
			short = where
		}
		if t, _ := m["type"].(string); t != "default" {
			return fmt.Sprintf("%s.cachePoint.type: %q is not default", where, t)
		}
		if ttl, ok := m["ttl"]; ok && ttl != "5m" && ttl != "1h" {
			return fmt.Sprintf("1 validation error detected: Value '%v' at '%s.cachePoint.ttl' failed to satisfy constraint: Member must satisfy enum value set: [5m, 1h]", ttl, where)
		}
		return ""
	}
	if req.ToolConfig != nil {
		for i, t := range req.ToolConfig.Tools {
			if t.CachePoint != nil {
				cp := map[string]any{"type": t.CachePoint.Type}
				if t.CachePoint.TTL != nil {
					cp["ttl"] = t.CachePoint.TTL
				}
				if msg := check(fmt.Sprintf("toolConfig.tools.%d", i), cp); msg != "" {
					return msg
				}
			}
		}
	}
	for i, b := range req.System {
		if msg := check(fmt.Sprintf("system.%d", i), b["cachePoint"]); msg != "" {
			return msg
		}
	}
	for i, m := range req.Messages {
		for j, b := range m.Content {
			if msg := check(fmt.Sprintf("messages.%d.content.%d", i, j), b["cachePoint"]); msg != "" {
				return msg
			}
		}
	}
	return ""
}
