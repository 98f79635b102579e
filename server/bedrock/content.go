package bedrock

import (
	"encoding/base64"
	"errors"
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

// eachPart checks the parts of message i in order and calls visit with
// what each gives: media is nil for a text part (the message's text is
// taken whole) and the image or document block of an image_url or file
// part; cp is the cache point its cache_control asks for. It refuses a part
// the message's role has no place for, a bad cache_control, and an image
// or file Bedrock would not take, so no part is dropped without a word.
func eachPart(i int, m openai.Message, visit func(p openai.ContentPart, media *ContentBlock, cp *CachePoint)) *openai.Error {
	if m.Content.IsString {
		return nil
	}
	for j, p := range m.Content.Parts {
		where := partWhere(i, j)
		if err := checkPartType(i, j, m.Role, p); err != nil {
			return err
		}
		cp, err := explicitCachePoint(where, p.CacheControl)
		if err != nil {
			return err
		}
		var media *ContentBlock
		switch p.Type {
		case "image_url":
			img, err := imageBlock(where, p.ImageURL)
			if err != nil {
				return err
			}
			media = &ContentBlock{Image: img}
		case "file":
			doc, img, err := fileBlock(where, p.File)
			if err != nil {
				return err
			}
			media = &ContentBlock{Document: doc, Image: img}
		}
		visit(p, media, cp)
	}
	return nil
}

// contentBlocks translates the content of a user or assistant message:
// its text (the text parts joined, as one block), then its images and
// files in order, each followed by the cache point its cache_control asks
// for; a cache_control on a text part puts one after the text, one on
// the message after everything.
func contentBlocks(i int, m openai.Message) ([]ContentBlock, *openai.Error) {
	var blocks, media []ContentBlock
	var textCache *CachePoint
	if text := m.Content.Text(); !blank(text) {
		blocks = append(blocks, ContentBlock{Text: text})
	}
	err := eachPart(i, m, func(p openai.ContentPart, block *ContentBlock, cp *CachePoint) {
		switch {
		case block != nil:
			media = append(media, *block)
			if cp != nil {
				media = append(media, ContentBlock{CachePoint: cp})
			}
		case cp != nil && p.Text != nil && !blank(*p.Text):
			textCache = cp
		}
	})
	if err != nil {
		return nil, err
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
	err = eachPart(i, m, func(_ openai.ContentPart, block *ContentBlock, cp *CachePoint) {
		if cache == nil {
			cache = cp
		}
		if block != nil {
			out = append(out, ToolResultContent{Image: block.Image, Document: block.Document})
		}
	})
	if err != nil {
		return nil, nil, err
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

// imageMIME maps image MIME types to Converse image formats.
var imageMIME = map[string]string{"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp"}

// errNotDataURL is decodeDataURL's answer for data that is not a base64
// data: URL.
var errNotDataURL = errors.New("not a base64 data: URL")

// decodeDataURL reads a base64 data: URL (data:image/png;base64,…, other
// parameters allowed) or, when bare is set, base64 alone. It returns the
// URL's MIME type in lower case ("" for bare base64) and the bytes, which
// may be none: what is empty is for the caller to name.
func decodeDataURL(data string, bare bool) (mime string, raw []byte, _ error) {
	if rest, ok := strings.CutPrefix(data, "data:"); ok {
		meta, payload, found := strings.Cut(rest, ",")
		params := strings.Split(meta, ";")
		if !found || params[len(params)-1] != "base64" {
			return "", nil, errNotDataURL
		}
		mime, data = strings.ToLower(strings.TrimSpace(params[0])), payload
	} else if !bare {
		return "", nil, errNotDataURL
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	return mime, raw, err
}

// imageBlock turns the image_url of an image part into a Converse image.
// Bedrock takes image bytes, not links, so other URLs are refused rather
// than silently dropped, as are a part without a URL and an empty image.
// where names the part for errors.
func imageBlock(where string, u *openai.ImageURL) (*ImageBlock, *openai.Error) {
	bad := func(format string, args ...any) (*ImageBlock, *openai.Error) {
		return nil, openai.InvalidRequest(where+": "+fmt.Sprintf(format, args...), "unsupported_image")
	}
	if u == nil || u.URL == "" {
		return bad(`an "image_url" part needs image_url.url: the image as a base64 data: URL`)
	}
	mime, raw, err := decodeDataURL(u.URL, false)
	switch {
	case errors.Is(err, errNotDataURL):
		return bad("image_url must be a base64 data: URL for bedrock tiers (Bedrock does not fetch links)")
	case err != nil:
		return bad("image data is not valid base64: %v", err)
	}
	format, ok := imageMIME[mime]
	if !ok {
		return bad("image type %q is not supported (png, jpeg, gif or webp)", mime)
	}
	if len(raw) == 0 {
		return bad("the image is empty")
	}
	return &ImageBlock{Format: format, Source: ImageSource{Bytes: raw}}, nil
}
