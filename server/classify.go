package server

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/llmstack/llmstack/server/openai"
	"github.com/llmstack/llmstack/tiers"
)

// Route is the auto classifier's choice: the role of the tier to use and
// why, in a word or two (it goes into the X-LLMStack-Route header).
type Route struct {
	Role   string
	Reason string
}

var (
	uncensoredTag  = regexp.MustCompile(`(?i)\[(?:nofilter|uncensored)\]`)
	uncensoredLine = regexp.MustCompile(`(?im)^[ \t]*(?:nofilter|uncensored):`)
	codeFence      = regexp.MustCompile("(?m)^[ \t]*```")
	agentVerbs     = regexp.MustCompile(`(?i)\b(?:implement|implementing|refactor|refactoring|fix (?:the|this|that|a) (?:bug|error|test|issue)|fix the|write (?:a|the) (?:function|method|class|test|script|program)|write code|add (?:a )?(?:unit )?tests?|debug|debugging|stack ?trace|traceback|compile error|segfault|failing test|code review|rename|migrate)\b`)
	planWords      = regexp.MustCompile(`(?i)\b(?:design|architecture|architect|approach|trade-?offs?|trade offs?|should (?:we|i)|pros and cons|strategy|roadmap|plan|planning|proposal|compare|which is better|options for|evaluate)\b`)
)

// Classify picks a role for a request sent to "auto" (or with no model).
// The first rule that matches wins:
//
//  1. an uncensored trigger ([nofilter], [uncensored], or a line starting
//     "nofilter:" / "uncensored:") in the last user message or a system
//     message → plan-uncensored
//  2. tools declared → agent
//  3. at least MultiTurn user turns → agent
//  4. estimated tokens (characters / 4) above FastTokenBudget → agent
//  5. a code fence or an agent verb in the last user message → agent
//  6. planning words in the last user message → plan
//  7. otherwise → fast
func Classify(req *openai.ChatRequest, r tiers.Routing) Route {
	last, userTurns, chars := "", 0, 0
	if req.Messages == nil {
		last, userTurns, chars = req.Prompt.Text, 1, utf8.RuneCountInString(req.Prompt.Text)
	}
	for i, m := range req.Messages {
		chars += m.Content.Len()
		for _, tc := range m.ToolCalls {
			chars += utf8.RuneCount(tc.Function.Arguments)
		}
		switch m.Role {
		case "user":
			userTurns++
		case "system", "developer":
			if text := m.Content.Text(); uncensored(text) {
				return Route{tiers.RolePlanUncensored, fmt.Sprintf("uncensored-trigger in messages[%d]", i)}
			}
		}
	}
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == "user" {
			last = req.Messages[i].Content.Text()
			break
		}
	}
	switch {
	case uncensored(last):
		return Route{tiers.RolePlanUncensored, "uncensored-trigger"}
	case len(req.Tools) > 0:
		return Route{tiers.RoleAgent, fmt.Sprintf("tools (%d declared)", len(req.Tools))}
	case r.MultiTurn > 0 && userTurns >= r.MultiTurn:
		return Route{tiers.RoleAgent, fmt.Sprintf("multi-turn (%d user turns)", userTurns)}
	case r.FastTokenBudget > 0 && chars/4 > r.FastTokenBudget:
		return Route{tiers.RoleAgent, fmt.Sprintf("token-budget (~%d tokens)", chars/4)}
	case codeFence.MatchString(last):
		return Route{tiers.RoleAgent, "code-block"}
	}
	if m := agentVerbs.FindString(last); m != "" {
		return Route{tiers.RoleAgent, fmt.Sprintf("agent-verb %q", strings.ToLower(m))}
	}
	if m := planWords.FindString(last); m != "" {
		return Route{tiers.RolePlan, fmt.Sprintf("plan-word %q", strings.ToLower(m))}
	}
	return Route{tiers.RoleFast, "default"}
}

func uncensored(text string) bool {
	return text != "" && (uncensoredTag.MatchString(text) || uncensoredLine.MatchString(text))
}

// TierForRole finds the tier serving a role: the first tier with that role,
// else the agent tier, else the first tier. It is nil only when there are no
// tiers.
func TierForRole(cfg *tiers.Config, role string) *tiers.Tier {
	if t := cfg.ByRole(role); t != nil {
		return t
	}
	if t := cfg.ByRole(tiers.RoleAgent); t != nil {
		return t
	}
	if len(cfg.Tiers) > 0 {
		return cfg.Tiers[0]
	}
	return nil
}
