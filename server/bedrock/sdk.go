package bedrock

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// converseInput maps the request onto the SDK's Converse input.
func (r *ConverseRequest) converseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:         aws.String(r.ModelID),
		Messages:        sdkMessages(r.Messages),
		System:          sdkSystem(r.System),
		InferenceConfig: r.InferenceConfig.sdk(),
		ToolConfig:      r.ToolConfig.sdk(),
		OutputConfig:    r.OutputConfig.sdk(),

		AdditionalModelRequestFields: r.AdditionalModelRequestFields.sdk(),
	}
}

// converseStreamInput maps the request onto the SDK's ConverseStream input.
func (r *ConverseRequest) converseStreamInput() *bedrockruntime.ConverseStreamInput {
	return &bedrockruntime.ConverseStreamInput{
		ModelId:         aws.String(r.ModelID),
		Messages:        sdkMessages(r.Messages),
		System:          sdkSystem(r.System),
		InferenceConfig: r.InferenceConfig.sdk(),
		ToolConfig:      r.ToolConfig.sdk(),
		OutputConfig:    r.OutputConfig.sdk(),

		AdditionalModelRequestFields: r.AdditionalModelRequestFields.sdk(),
	}
}

func sdkMessages(msgs []Message) []types.Message {
	out := make([]types.Message, len(msgs))
	for i, m := range msgs {
		content := make([]types.ContentBlock, 0, len(m.Content))
		for _, b := range m.Content {
			switch {
			case b.ToolUse != nil:
				content = append(content, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
					ToolUseId: aws.String(b.ToolUse.ToolUseID),
					Name:      aws.String(b.ToolUse.Name),
					Input:     rawDocument{json: b.ToolUse.Input},
				}})
			case b.ToolResult != nil:
				rc := make([]types.ToolResultContentBlock, len(b.ToolResult.Content))
				for j, c := range b.ToolResult.Content {
					rc[j] = sdkToolResultContent(c)
				}
				content = append(content, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
					ToolUseId: aws.String(b.ToolResult.ToolUseID),
					Content:   rc,
					Status:    types.ToolResultStatus(b.ToolResult.Status),
				}})
			case b.ReasoningContent != nil:
				content = append(content, &types.ContentBlockMemberReasoningContent{Value: b.ReasoningContent.sdk()})
			case b.CachePoint != nil:
				content = append(content, &types.ContentBlockMemberCachePoint{Value: sdkCachePoint(b.CachePoint)})
			case b.Image != nil:
				content = append(content, &types.ContentBlockMemberImage{Value: sdkImage(b.Image)})
			case b.Document != nil:
				content = append(content, &types.ContentBlockMemberDocument{Value: sdkDocument(b.Document)})
			default:
				content = append(content, &types.ContentBlockMemberText{Value: b.Text})
			}
		}
		out[i] = types.Message{Role: types.ConversationRole(m.Role), Content: content}
	}
	return out
}

func (r *ReasoningContent) sdk() types.ReasoningContentBlock {
	if r.ReasoningText == nil {
		return &types.ReasoningContentBlockMemberRedactedContent{Value: r.RedactedContent}
	}
	rt := types.ReasoningTextBlock{Text: aws.String(r.ReasoningText.Text)}
	if r.ReasoningText.Signature != "" {
		rt.Signature = aws.String(r.ReasoningText.Signature)
	}
	return &types.ReasoningContentBlockMemberReasoningText{Value: rt}
}

// sdk hands the fields to the SDK as the JSON they marshal to.
func (f *ModelFields) sdk() document.Interface {
	if f == nil {
		return nil
	}
	raw, _ := json.Marshal(f) // plain strings and numbers: cannot fail
	return rawDocument{json: raw}
}

func sdkSystem(blocks []SystemBlock) []types.SystemContentBlock {
	if len(blocks) == 0 {
		return nil
	}
	out := make([]types.SystemContentBlock, len(blocks))
	for i, b := range blocks {
		if b.CachePoint != nil {
			out[i] = &types.SystemContentBlockMemberCachePoint{Value: sdkCachePoint(b.CachePoint)}
			continue
		}
		out[i] = &types.SystemContentBlockMemberText{Value: b.Text}
	}
	return out
}

func sdkCachePoint(c *CachePoint) types.CachePointBlock {
	return types.CachePointBlock{Type: types.CachePointType(c.Type), Ttl: types.CacheTTL(c.TTL)}
}

func sdkImage(b *ImageBlock) types.ImageBlock {
	return types.ImageBlock{
		Format: types.ImageFormat(b.Format),
		Source: &types.ImageSourceMemberBytes{Value: b.Source.Bytes},
	}
}

func sdkDocument(b *DocumentBlock) types.DocumentBlock {
	return types.DocumentBlock{
		Format: types.DocumentFormat(b.Format),
		Name:   aws.String(b.Name),
		Source: &types.DocumentSourceMemberBytes{Value: b.Source.Bytes},
	}
}

func sdkToolResultContent(c ToolResultContent) types.ToolResultContentBlock {
	switch {
	case c.Image != nil:
		return &types.ToolResultContentBlockMemberImage{Value: sdkImage(c.Image)}
	case c.Document != nil:
		return &types.ToolResultContentBlockMemberDocument{Value: sdkDocument(c.Document)}
	}
	return &types.ToolResultContentBlockMemberText{Value: c.Text}
}

func (ic *InferenceConfig) sdk() *types.InferenceConfiguration {
	if ic == nil {
		return nil
	}
	return &types.InferenceConfiguration{
		MaxTokens:     ic.MaxTokens,
		Temperature:   ic.Temperature,
		TopP:          ic.TopP,
		StopSequences: ic.StopSequences,
	}
}

func (oc *OutputConfig) sdk() *types.OutputConfig {
	if oc == nil || oc.TextFormat == nil {
		return nil
	}
	def := types.JsonSchemaDefinition{Schema: aws.String(oc.TextFormat.Structure.JSONSchema.Schema)}
	if n := oc.TextFormat.Structure.JSONSchema.Name; n != "" {
		def.Name = aws.String(n)
	}
	if d := oc.TextFormat.Structure.JSONSchema.Description; d != "" {
		def.Description = aws.String(d)
	}
	return &types.OutputConfig{TextFormat: &types.OutputFormat{
		Type:      types.OutputFormatType(oc.TextFormat.Type),
		Structure: &types.OutputFormatStructureMemberJsonSchema{Value: def},
	}}
}

func (tc *ToolConfig) sdk() *types.ToolConfiguration {
	if tc == nil {
		return nil
	}
	out := &types.ToolConfiguration{Tools: make([]types.Tool, len(tc.Tools))}
	for i, t := range tc.Tools {
		if t.CachePoint != nil {
			out.Tools[i] = &types.ToolMemberCachePoint{Value: sdkCachePoint(t.CachePoint)}
			continue
		}
		spec := types.ToolSpecification{
			Name:        aws.String(t.ToolSpec.Name),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: rawDocument{json: t.ToolSpec.InputSchema.JSON}},
		}
		if t.ToolSpec.Description != "" {
			spec.Description = aws.String(t.ToolSpec.Description)
		}
		out.Tools[i] = &types.ToolMemberToolSpec{Value: spec}
	}
	if c := tc.ToolChoice; c != nil {
		switch {
		case c.Tool != nil:
			out.ToolChoice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(c.Tool.Name)}}
		case c.Any != nil:
			out.ToolChoice = &types.ToolChoiceMemberAny{}
		}
	}
	return out
}

// rawDocument hands the SDK a document that is already JSON. The SDK's
// serializer writes what MarshalSmithyDocument returns verbatim, so tool
// schemas and arguments skip a decode into maps and a re-encode by
// reflection, and their numbers and key order reach Bedrock as sent. The
// embedded interface only satisfies the SDK's sealed document type; it is
// nil and never called for a request.
type rawDocument struct {
	document.Interface
	json []byte
}

// MarshalSmithyDocument returns the document's JSON.
func (d rawDocument) MarshalSmithyDocument() ([]byte, error) { return d.json, nil }
