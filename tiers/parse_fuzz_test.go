package tiers

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds Parse any file. It must never panic, and a file it
// accepts must yield a config with no credential in any value and no line
// break in a region, profile, model id, host or URL.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/parse/*.ini")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("models.ini", data)
		if err != nil || cfg == nil {
			return
		}
		walkStrings(reflect.ValueOf(cfg), "cfg", func(path, s string) {
			if cred := credentialIn(s); cred != "" {
				t.Fatalf("accepted a config whose %s names %s: %q", path, cred, s)
			}
		})
		oneLine := map[string]string{"router_host": cfg.RouterHost, "llama_swap_url": cfg.LlamaSwapURL}
		urls := []string{cfg.LlamaSwapURL}
		for _, tier := range cfg.Tiers {
			if b := tier.Bedrock; b != nil {
				for k, v := range map[string]string{"aws_model_id": b.ModelID, "aws_model_id_next": b.ModelIDNext, "aws_region": b.Region, "aws_region_next": b.RegionNext, "aws_profile": b.Profile, "aws_endpoint_url": b.EndpointURL} {
					oneLine["["+tier.Name+"] "+k] = v
				}
				urls = append(urls, b.EndpointURL)
			}
		}
		for k, v := range oneLine {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("accepted %s = %q, which holds a line break", k, v)
			}
		}
		for _, v := range urls {
			if u, err := url.Parse(v); v != "" && (err != nil || u.User != nil) {
				t.Fatalf("accepted the URL %q (user info or unparsable)", v)
			}
		}
	})
}

// walkStrings calls fn with every string reachable from v.
func walkStrings(v reflect.Value, path string, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), path+"[]", fn)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkStrings(it.Key(), path+"{key}", fn)
			walkStrings(it.Value(), path+"{}", fn)
		}
	}
}
