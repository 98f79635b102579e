// Package bedrock serves bedrock tiers: it translates OpenAI requests into
// Bedrock Converse requests and the answers back, calls Bedrock through
// aws-sdk-go-v2 with one client per (profile, region, endpoint), maps Bedrock
// errors to honest HTTP statuses and checks the health of AWS profiles.
package bedrock

import "encoding/json"

// The types below mirror the Bedrock Converse request as it goes over the
// wire, so translation is a pure function from one plain struct to another
// and its results read like the Bedrock API reference in tests.

// ConverseRequest is a Converse / ConverseStream request.
type ConverseRequest struct {
	ModelID         string           `json:"-"`
	Messages        []Message        `json:"messages"`
	System          []SystemBlock    `json:"system,omitempty"`
	InferenceConfig *InferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *ToolConfig      `json:"toolConfig,omitempty"`
	OutputConfig    *OutputConfig    `json:"outputConfig,omitempty"`
	// AdditionalModelRequestFields carries what Converse passes to the
	// model as it is: Claude's thinking settings, top_k.
	AdditionalModelRequestFields *ModelFields `json:"additionalModelRequestFields,omitempty"`

	// Repairs names what the translation changed so Bedrock takes the
	// request; it is told to the client, never sent to Bedrock.
	Repairs Repairs `json:"-"`
	// memoryContext is what the answer's thinking is remembered with
	// besides its text (see memoryContext).
	memoryContext string
}

// ModelFields are the model-specific request fields, in the names of the
// model family that takes each.
type ModelFields struct {
	Thinking *ThinkingConfig `json:"thinking,omitempty"`
	// OutputConfig carries the effort of adaptive thinking.
	OutputConfig *EffortConfig `json:"output_config,omitempty"`
	// TopK is Claude's top_k.
	TopK *int `json:"top_k,omitempty"`
	// NovaInference is Nova's own inference settings (its topK).
	NovaInference *NovaInference `json:"inferenceConfig,omitempty"`
}

// NovaInference holds the Nova settings Converse's inferenceConfig lacks.
type NovaInference struct {
	TopK int `json:"topK"`
}

// ThinkingConfig turns on Claude's extended thinking: Type "enabled" with
// a BudgetTokens, or "adaptive".
type ThinkingConfig struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

// EffortConfig steers how much an adaptive model thinks: low, medium,
// high or max.
type EffortConfig struct {
	Effort string `json:"effort"`
}

// Message is one turn; roles strictly alternate user / assistant.
type Message struct {
	Role    string         `json:"role"`
	Content []ContentBlock `json:"content"`
}

// ContentBlock holds exactly one of its fields.
type ContentBlock struct {
	// ReasoningContent is the model's thinking, replayed from history;
	// it leads an assistant turn.
	ReasoningContent *ReasoningContent `json:"reasoningContent,omitempty"`
	Text             string            `json:"text,omitempty"`
	Image            *ImageBlock       `json:"image,omitempty"`
	Document         *DocumentBlock    `json:"document,omitempty"`
	ToolUse          *ToolUse          `json:"toolUse,omitempty"`
	ToolResult       *ToolResult       `json:"toolResult,omitempty"`
	CachePoint       *CachePoint       `json:"cachePoint,omitempty"`
}

// ReasoningContent is one thinking block: text with the signature Bedrock
// issued for it, or thinking Bedrock keeps hidden (redacted, opaque
// bytes).
type ReasoningContent struct {
	ReasoningText   *ReasoningText `json:"reasoningText,omitempty"`
	RedactedContent []byte         `json:"redactedContent,omitempty"`
}

// ReasoningText is thinking the model showed, with its signature.
type ReasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

// size is roughly how many bytes the block holds, for the memory's bound.
func (r ReasoningContent) size() int {
	n := len(r.RedactedContent)
	if r.ReasoningText != nil {
		n += len(r.ReasoningText.Text) + len(r.ReasoningText.Signature)
	}
	return n
}

// CachePoint marks the end of a prefix for Bedrock's prompt cache.
type CachePoint struct {
	Type string `json:"type"` // "default"
	// TTL is how long the prefix is kept: "5m" or "1h"; "" is five minutes.
	TTL string `json:"ttl,omitempty"`
	// explicit is set for the cache points the client asked for
	// (cache_control), which win over the automatic ones.
	explicit bool
}

// cachePoint is the one kind of cache point Bedrock has.
func cachePoint() *CachePoint { return &CachePoint{Type: "default"} }

// ImageBlock is an inline image.
type ImageBlock struct {
	Format string      `json:"format"`
	Source ImageSource `json:"source"`
}

// ImageSource carries the image bytes (base64 on the wire).
type ImageSource struct {
	Bytes []byte `json:"bytes"`
}

// DocumentBlock is an inline document (a PDF, a spreadsheet, a text
// file). Name is what the model sees it as, in Bedrock's alphabet.
type DocumentBlock struct {
	Format string         `json:"format"`
	Name   string         `json:"name"`
	Source DocumentSource `json:"source"`
}

// DocumentSource carries the document bytes (base64 on the wire).
type DocumentSource struct {
	Bytes []byte `json:"bytes"`
}

// ToolUse is the model's call of a tool, replayed from history. Input is a
// compact JSON object, passed to Bedrock byte for byte.
type ToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

// ToolResult answers a ToolUse.
type ToolResult struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []ToolResultContent `json:"content"`
	Status    string              `json:"status,omitempty"`
}

// ToolResultContent is one part of a tool result: text, an image or a
// document.
type ToolResultContent struct {
	Text     string         `json:"text,omitempty"`
	Image    *ImageBlock    `json:"image,omitempty"`
	Document *DocumentBlock `json:"document,omitempty"`
}

// SystemBlock is one system prompt, or a cache point after them.
type SystemBlock struct {
	Text       string      `json:"text,omitempty"`
	CachePoint *CachePoint `json:"cachePoint,omitempty"`
}

// InferenceConfig holds the sampling parameters Converse accepts.
type InferenceConfig struct {
	MaxTokens     *int32   `json:"maxTokens,omitempty"`
	Temperature   *float32 `json:"temperature,omitempty"`
	TopP          *float32 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

// ToolConfig declares the tools the model may call.
type ToolConfig struct {
	Tools      []Tool      `json:"tools"`
	ToolChoice *ToolChoice `json:"toolChoice,omitempty"`
}

// Tool is one tool declaration, or a cache point after them.
type Tool struct {
	ToolSpec   *ToolSpec   `json:"toolSpec,omitempty"`
	CachePoint *CachePoint `json:"cachePoint,omitempty"`
}

// ToolSpec names a tool and its input schema.
type ToolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"` // Bedrock refuses ""
	InputSchema InputSchema `json:"inputSchema"`
}

// InputSchema wraps a JSON Schema (compact JSON, passed byte for byte).
type InputSchema struct {
	JSON json.RawMessage `json:"json"`
}

// ToolChoice forces tool use: Any (some tool) or Tool (that tool).
type ToolChoice struct {
	Any  *struct{}     `json:"any,omitempty"`
	Tool *SpecificTool `json:"tool,omitempty"`
}

// SpecificTool names the tool a ToolChoice forces.
type SpecificTool struct {
	Name string `json:"name"`
}

// OutputConfig asks for structured output: the answer's text must be JSON
// that follows a schema.
type OutputConfig struct {
	TextFormat *OutputFormat `json:"textFormat"`
}

// OutputFormat is the structured output format; Type is "json_schema".
type OutputFormat struct {
	Type      string          `json:"type"`
	Structure OutputStructure `json:"structure"`
}

// OutputStructure holds the schema the output must follow.
type OutputStructure struct {
	JSONSchema JSONSchemaDefinition `json:"jsonSchema"`
}

// JSONSchemaDefinition carries the schema as a string of compact JSON, the
// way Bedrock takes it.
type JSONSchemaDefinition struct {
	Schema      string `json:"schema"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}
