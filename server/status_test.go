package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/llmstack/llmstack/server"
	"github.com/llmstack/llmstack/server/bedrock"
	"github.com/llmstack/llmstack/tiers"
)

// profileState is the state the status shows for an AWS profile.
func profileState(st server.Status, profile string) (bedrock.ProfileState, bool) {
	for _, p := range st.Profiles {
		if p.Profile == profile {
			return p.State, true
		}
	}
	return "", false
}

// TestSlowProfileDoesNotHoldUpOthers starts the router with one profile
// whose credential_process does not answer until the test lets it, and
// checks that the other profiles' verdicts are shown meanwhile.
func TestSlowProfileDoesNotHoldUpOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the credential_process helper is a shell script")
	}
	awsFiles(t)
	dir := t.TempDir()
	release := filepath.Join(dir, "release")
	helper := filepath.Join(dir, "helper")
	write(t, helper, fmt.Sprintf("#!/bin/sh\nwhile [ ! -e %s ]; do sleep 0.05; done\n"+
		`echo '{"Version":1,"AccessKeyId":"ASIASLOWPROFILE00001","SecretAccessKey":"s","SessionToken":"t"}'`+"\n", release))
	if err := os.Chmod(helper, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgFile := os.Getenv("AWS_CONFIG_FILE")
	data, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	write(t, cfgFile, string(data)+fmt.Sprintf("\n[profile slow]\nregion = us-east-1\ncredential_process = %s\n", helper))
	ini := filepath.Join(dir, "models.ini")
	write(t, ini, strings.Join([]string{
		"[code-fast]", "role = fast", "aws_model_id = fast-model-v1", "aws_profile = fast", "",
		"[code-smart]", "role = agent", "aws_model_id = smart-model-v1", "aws_profile = slow", "",
	}, "\n"))
	cfg, err := tiers.Load(ini)
	if err != nil {
		t.Fatal(err)
	}

	srv := server.New(cfg, server.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, "127.0.0.1:0", nil) }()
	defer func() {
		cancel()
		<-done
	}()
	defer os.WriteFile(release, nil, 0o600) // never leave the helper looping

	waitFor := func(what string, ok func(server.Status) bool) server.Status {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := srv.Status()
			if ok(st) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: status never showed it: %+v", what, st.Profiles)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	st := waitFor("the fast profile checked", func(st server.Status) bool {
		s, _ := profileState(st, "fast")
		return s != bedrock.ProfileUnknown
	})
	if s, _ := profileState(st, "fast"); s != bedrock.ProfileOK {
		t.Errorf("fast profile: %q, want %q", s, bedrock.ProfileOK)
	}
	if s, ok := profileState(st, "slow"); !ok || s != bedrock.ProfileUnknown {
		t.Errorf("slow profile while its helper has not answered: %q (listed %t), want not checked yet", s, ok)
	}

	write(t, release, "")
	waitFor("the slow profile checked", func(st server.Status) bool {
		s, _ := profileState(st, "slow")
		return s == bedrock.ProfileOK
	})
}
