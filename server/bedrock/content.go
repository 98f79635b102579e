package bedrock

import (
	"fmt"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
)

// partWhere names a content part for errors: messages[1].content[2].
func partWhere(msg, part int) string { return fmt.Sprintf("messages[%d].content[%d]", msg, part) }

// checkPartType refuses the content parts the router has no place for, so
// none is dropped without a word. System messages take only text.
func checkPartType(msg, part int, role string, p openai.ContentPart) *openai.Error {
	where := partWhere(msg, part)
	switch p.Type {
	case "text":
		return nil
	case "image_url", "file":
		switch role {
		case "system", "developer":
			return openai.InvalidRequest(fmt.Sprintf("%s: a %s message takes only text parts on bedrock tiers, not %q", where, role, p.Type), "unsupported_content")
		case "assistant":
			if p.Type == "file" {
				return openai.InvalidRequest(where+`: a "file" part belongs in a user or tool message; Bedrock takes documents only from the user`, "unsupported_content")
			}
		}
		return nil
	}
	if p.Text != nil {
		// Another name for text ("input_text"): its text is taken.
		return nil
	}
	return openai.InvalidRequest(fmt.Sprintf(`%s: content part type %q is not supported on bedrock tiers (text, image_url, file)`, where, p.Type), "unsupported_content")
}

// explicitCachePoint is the cache point a cache_control asks for, or nil.
func explicitCachePoint(where string, cc *openai.CacheControl) (*CachePoint, *openai.Error) {
	if cc == nil {
		return nil, nil
	}
	if cc.Type != "" && cc.Type != "ephemeral" {
		return nil, openai.InvalidRequest(fmt.Sprintf(`%s.cache_control: type %q is not supported (want "ephemeral")`, where, cc.Type), "invalid_cache_control")
	}
	switch cc.TTL {
	case "", "5m", "1h":
	default:
		return nil, openai.InvalidRequest(fmt.Sprintf(`%s.cache_control: ttl %q is not supported (5m or 1h)`, where, cc.TTL), "invalid_cache_control")
	}
	return &CachePoint{Type: "default", TTL: cc.TTL, explicit: true}, nil
}

// contentBlocks translates the content of a user or assistant message:
// its text (the text parts joined, as one block), then its images and
// files in order, each followed by the cache point its cache_control asks
// for; a cache_control on a text part puts one after the text, one on
// the message after everything.
func contentBlocks(i int, m openai.Message) ([]ContentBlock, *openai.Error) {
	var blocks []ContentBlock
	var textCache *CachePoint
	if text := m.Content.Text(); !blank(text) {
		blocks = append(blocks, ContentBlock{Text: text})
	}
	var media []ContentBlock
	for j, p := range m.Content.Parts {
		if m.Content.IsString {
			break
		}
		if err := checkPartType(i, j, m.Role, p); err != nil {
			return nil, err
		}
		cp, err := explicitCachePoint(partWhere(i, j), p.CacheControl)
		if err != nil {
			return nil, err
		}
		switch p.Type {
		case "text":
			if cp != nil && p.Text != nil && !blank(*p.Text) {
				textCache = cp
			}
			continue
		case "image_url":
			if p.ImageURL == nil {
				continue
			}
			img, err := imageBlock(i, p.ImageURL.URL)
			if err != nil {
				return nil, err
			}
			media = append(media, ContentBlock{Image: img})
		case "file":
			doc, img, err := fileBlock(partWhere(i, j), p.File)
			if err != nil {
				return nil, err
			}
			media = append(media, ContentBlock{Document: doc, Image: img})
		}
		if cp != nil {
			media = append(media, ContentBlock{CachePoint: cp})
		}
	}
	if textCache != nil && len(blocks) > 0 {
		blocks = append(blocks, ContentBlock{CachePoint: textCache})
	}
	return append(blocks, media...), nil
}

// messageCachePoint appends the cache point a message's cache_control
// asks for after the blocks it gave, if it gave any.
func messageCachePoint(i int, m openai.Message, blocks []ContentBlock) ([]ContentBlock, *openai.Error) {
	cp, err := explicitCachePoint(fmt.Sprintf("messages[%d]", i), m.CacheControl)
	if err != nil || cp == nil || len(blocks) == 0 || blocks[len(blocks)-1].CachePoint != nil {
		return blocks, err
	}
	return append(blocks, ContentBlock{CachePoint: cp}), nil
}

// toolResultContent translates a tool message's content: its text, then
// its images and files, which Converse takes inside the toolResult. A
// result with none of them gets EmptyToolResultText. cache is the cache
// point any cache_control of the message or its parts asks for, which goes
// after the toolResult.
func toolResultContent(i int, m openai.Message) (_ []ToolResultContent, cache *CachePoint, _ *openai.Error) {
	var out []ToolResultContent
	if text := m.Content.Text(); !blank(text) {
		out = append(out, ToolResultContent{Text: text})
	}
	cache, err := explicitCachePoint(fmt.Sprintf("messages[%d]", i), m.CacheControl)
	if err != nil {
		return nil, nil, err
	}
	for j, p := range m.Content.Parts {
		if m.Content.IsString {
			break
		}
		if err := checkPartType(i, j, m.Role, p); err != nil {
			return nil, nil, err
		}
		cp, err := explicitCachePoint(partWhere(i, j), p.CacheControl)
		if err != nil {
			return nil, nil, err
		}
		if cache == nil {
			cache = cp
		}
		switch p.Type {
		case "image_url":
			if p.ImageURL == nil {
				continue
			}
			img, err := imageBlock(i, p.ImageURL.URL)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ToolResultContent{Image: img})
		case "file":
			doc, img, err := fileBlock(partWhere(i, j), p.File)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ToolResultContent{Document: doc, Image: img})
		}
	}
	if len(out) == 0 {
		out = []ToolResultContent{{Text: EmptyToolResultText}}
	}
	return out, cache, nil
}

// resultAsBlocks is how a tool result that answers no call reaches the
// model: its text, saying which call it was for, then its images and
// documents as blocks of the user turn.
func resultAsBlocks(id string, content []ToolResultContent) []ContentBlock {
	var texts []string
	var media []ContentBlock
	for _, c := range content {
		switch {
		case c.Image != nil:
			media = append(media, ContentBlock{Image: c.Image})
		case c.Document != nil:
			media = append(media, ContentBlock{Document: c.Document})
		default:
			texts = append(texts, c.Text)
		}
	}
	text := EmptyToolResultText
	if len(texts) > 0 {
		text = strings.Join(texts, "\n")
	}
	return append([]ContentBlock{{Text: resultAsText(id, text)}}, media...)
}
