package bedrock

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/llmstack/llmstack/server/openai"
)

// DocumentText stands beside documents a user sent without a word:
// Bedrock refuses a message that has a document but no text.
const DocumentText = "(see the attached document)"

// MaxDocuments is how many documents Bedrock takes in one request.
const MaxDocuments = 5

// maxDocumentName is the longest document name Bedrock takes.
const maxDocumentName = 200

// documentTypes lists the formats Converse takes, for error messages.
const documentTypes = "pdf, csv, doc, docx, xls, xlsx, html, txt, md"

// documentMIME maps the MIME types of data: URLs to Converse formats.
var documentMIME = map[string]string{
	"application/pdf":    "pdf",
	"text/csv":           "csv",
	"application/msword": "doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
	"application/vnd.ms-excel": "xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
	"text/html":       "html",
	"text/plain":      "txt",
	"text/markdown":   "md",
	"text/x-markdown": "md",
}

// documentExtensions maps file name extensions to Converse formats, for
// data with no telling MIME type.
var documentExtensions = map[string]string{
	"pdf": "pdf", "csv": "csv", "doc": "doc", "docx": "docx", "xls": "xls", "xlsx": "xlsx",
	"html": "html", "htm": "html", "txt": "txt", "text": "txt", "md": "md", "markdown": "md",
}

// fileBlock turns a "file" part into a document block, or an image block
// when the file is an image. where names the part for errors
// ("messages[1].content[2]").
func fileBlock(where string, f *openai.File) (*DocumentBlock, *ImageBlock, *openai.Error) {
	bad := func(format string, args ...any) (*DocumentBlock, *ImageBlock, *openai.Error) {
		return nil, nil, openai.InvalidRequest(where+": "+fmt.Sprintf(format, args...), "unsupported_file")
	}
	switch {
	case f == nil || (f.FileData == "" && f.FileID == ""):
		return bad(`a "file" part needs file.file_data: the file as a base64 data: URL`)
	case f.FileData == "":
		return bad("file_id %q: bedrock tiers take only inline file_data (a base64 data: URL); Bedrock cannot read uploaded files", f.FileID)
	}
	label := "the file"
	if f.Filename != "" {
		label = fmt.Sprintf("%q", f.Filename)
	}
	mime, raw, err := decodeDataURL(f.FileData, true)
	switch {
	case errors.Is(err, errNotDataURL):
		return bad("file_data of %s must be a base64 data: URL (data:application/pdf;base64,...)", label)
	case err != nil:
		return bad("file_data of %s is not valid base64: %v", label, err)
	case len(raw) == 0:
		return bad("%s is empty", label)
	}
	if format, ok := imageMIME[mime]; ok {
		return nil, &ImageBlock{Format: format, Source: ImageSource{Bytes: raw}}, nil
	}
	format, ok := documentMIME[mime]
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(f.Filename), "."))
	if !ok && (mime == "" || mime == "application/octet-stream") {
		format, ok = documentExtensions[ext]
	}
	if !ok {
		what := mime
		if what == "" || what == "application/octet-stream" {
			what = "a file without a known type"
			if ext != "" {
				what = "." + ext
			}
		}
		return bad("%s (%s) is not a supported document type (%s)", label, what, documentTypes)
	}
	return &DocumentBlock{Format: format, Name: documentName(f.Filename), Source: DocumentSource{Bytes: raw}}, nil, nil
}

// documentName makes a file name into a document name Bedrock takes:
// letters and digits, single spaces, hyphens, parentheses and square
// brackets, at most 200 characters. The directory and extension go;
// anything else becomes a hyphen.
func documentName(filename string) string {
	base := path.Base(strings.ReplaceAll(filename, `\`, "/"))
	base = strings.TrimSuffix(base, path.Ext(base))
	var b strings.Builder
	for _, r := range base {
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-()[]", r)):
			b.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if s := b.String(); s != "" && !strings.HasSuffix(s, " ") {
				b.WriteByte(' ')
			}
		default:
			if !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	name := strings.TrimSpace(b.String())
	if len(name) > maxDocumentName {
		name = strings.TrimSpace(name[:maxDocumentName])
	}
	if name == "" || name == "-" || name == "." {
		name = "document"
	}
	return name
}

// finishDocuments gives every document of the request a name of its own
// (Bedrock refuses two documents with one name), puts a short text beside
// documents a user turn carries without any, and refuses more documents
// than Bedrock takes.
func finishDocuments(msgs []Message) *openai.Error {
	used := map[string]bool{}
	n := 0
	unique := func(d *DocumentBlock) {
		n++
		name := d.Name
		for i := 2; used[name]; i++ {
			suffix := fmt.Sprintf(" (%d)", i)
			name = strings.TrimSpace(d.Name[:min(len(d.Name), maxDocumentName-len(suffix))]) + suffix
		}
		used[name] = true
		d.Name = name
	}
	for i := range msgs {
		m := &msgs[i]
		last, hasText := -1, false
		for j, b := range m.Content {
			switch {
			case b.Document != nil:
				unique(b.Document)
				last = j
			case b.Text != "":
				hasText = true
			case b.ToolResult != nil:
				for _, c := range b.ToolResult.Content {
					if c.Document != nil {
						unique(c.Document)
					}
				}
			}
		}
		if last >= 0 && !hasText {
			m.Content = append(m.Content[:last+1], append([]ContentBlock{{Text: DocumentText}}, m.Content[last+1:]...)...)
		}
	}
	if n > MaxDocuments {
		return openai.InvalidRequest(fmt.Sprintf("the conversation carries %d documents; Bedrock takes at most %d in one request (start a new conversation, or send fewer files)", n, MaxDocuments), "too_many_documents")
	}
	return nil
}
