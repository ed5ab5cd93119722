// llama_golden.cpp — a tiny driver over llama.cpp's C API (libllama) for the Golden tools:
// greedy decoding from prompt token ids with top-k logits, and tokenize/detokenize of strings.
// Built and linked by Golden/tools/bench/build_llama_cpp.sh into
// Golden/tools/.cache/llama.cpp/bin/llama-golden (never committed, never used by swift test).
//
//   llama-golden MODEL.gguf greedy N_NEW TOPK [N_THREADS] < prompts.txt
//       stdin: one prompt per line, token ids separated by spaces.
//       stdout: one JSON object per prompt:
//         {"greedy_ids":[...N_NEW ids...],
//          "steps":[{"top":[[id,logit],...TOPK],"lse":x,"max_abs":y}, ...]}
//       step 0 = logits at the last prompt position, step i = after greedy token i-1 (N_NEW steps).
//       EOS is ignored (always N_NEW tokens). Argmax ties go to the lowest id. The KV cache is
//       cleared between prompts; tokens are decoded one at a time after the prompt.
//   llama-golden MODEL.gguf tokenize ADD_SPECIAL PARSE_SPECIAL < hexlines.txt
//       stdin: one UTF-8 string per line, hex-encoded. stdout: one JSON list of ids per line.
//   llama-golden MODEL.gguf detokenize REMOVE_SPECIAL UNPARSE_SPECIAL < ids.txt
//       stdin: ids separated by spaces per line. stdout: the text, hex-encoded, one per line.
//   (ADD_SPECIAL etc. are 0 or 1.) Vocabulary-only loading is used for the last two modes.
#include "llama.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

static void quiet_log(enum ggml_log_level level, const char * text, void *) {
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static std::vector<llama_token> parse_ids(const std::string & line) {
    std::vector<llama_token> ids;
    std::istringstream ss(line);
    long v;
    while (ss >> v) ids.push_back((llama_token) v);
    return ids;
}

static std::string unhex(const std::string & h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back((char) std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
}

static std::string hex(const std::string & s) {
    static const char * d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) { out.push_back(d[c >> 4]); out.push_back(d[c & 15]); }
    return out;
}

static void print_float(double x) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.9g", x);
    fputs(buf, stdout);
}

int main(int argc, char ** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf greedy N_NEW TOPK [N_THREADS] | tokenize ADD PARSE | detokenize REMOVE UNPARSE\n", argv[0]);
        return 2;
    }
    const std::string model_path = argv[1], mode = argv[2];
    llama_log_set(quiet_log, nullptr);
    llama_backend_init();

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.vocab_only = (mode != "greedy");
    mp.progress_callback = [](float, void *) { return true; };  // no progress dots
    llama_model * model = llama_model_load_from_file(model_path.c_str(), mp);
    if (!model) { fprintf(stderr, "llama-golden: cannot load %s\n", model_path.c_str()); return 1; }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    std::string line;

    if (mode == "tokenize" || mode == "detokenize") {
        if (argc < 5) { fprintf(stderr, "llama-golden: %s needs two 0/1 flags\n", mode.c_str()); return 2; }
        const bool f1 = atoi(argv[3]) != 0, f2 = atoi(argv[4]) != 0;
        while (std::getline(std::cin, line)) {
            if (mode == "tokenize") {
                const std::string text = unhex(line);
                int n = -llama_tokenize(vocab, text.data(), (int32_t) text.size(), nullptr, 0, f1, f2);
                std::vector<llama_token> ids(std::max(n, 0) + 8);
                n = llama_tokenize(vocab, text.data(), (int32_t) text.size(), ids.data(), (int32_t) ids.size(), f1, f2);
                if (n < 0) { fprintf(stderr, "llama-golden: tokenize failed\n"); return 1; }
                fputc('[', stdout);
                for (int i = 0; i < n; i++) printf(i ? ",%d" : "%d", ids[i]);
                fputs("]\n", stdout);
            } else {
                std::vector<llama_token> ids = parse_ids(line);
                std::vector<char> buf(64 + ids.size() * 64);
                int n = llama_detokenize(vocab, ids.data(), (int32_t) ids.size(), buf.data(), (int32_t) buf.size(), f1, f2);
                if (n < 0) {
                    buf.resize(-n + 8);
                    n = llama_detokenize(vocab, ids.data(), (int32_t) ids.size(), buf.data(), (int32_t) buf.size(), f1, f2);
                }
                if (n < 0) { fprintf(stderr, "llama-golden: detokenize failed\n"); return 1; }
                printf("%s\n", hex(std::string(buf.data(), n)).c_str());
            }
            fflush(stdout);
        }
        llama_model_free(model);
        return 0;
    }
    if (mode != "greedy" || argc < 5) { fprintf(stderr, "llama-golden: unknown mode or missing N_NEW TOPK\n"); return 2; }
    const int n_new = atoi(argv[3]), topk = atoi(argv[4]);
    const int n_threads = argc > 5 ? atoi(argv[5]) : 1;

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 2048;
    cp.n_batch = 2048;
    cp.n_ubatch = 512;
    cp.n_threads = n_threads;
    cp.n_threads_batch = n_threads;
    cp.no_perf = true;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "llama-golden: cannot create a context\n"); return 1; }
    const int n_vocab = llama_vocab_n_tokens(vocab);

    while (std::getline(std::cin, line)) {
        std::vector<llama_token> prompt = parse_ids(line);
        if (prompt.empty()) continue;
        llama_memory_clear(llama_get_memory(ctx), true);
        std::vector<llama_token> out;
        fputs("{\"steps\":[", stdout);
        llama_batch batch = llama_batch_get_one(prompt.data(), (int32_t) prompt.size());
        llama_token next = 0;
        for (int step = 0; step < n_new; step++) {
            if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "llama-golden: decode failed\n"); return 1; }
            const float * logits = llama_get_logits_ith(ctx, -1);
            std::vector<int> idx(n_vocab);
            for (int i = 0; i < n_vocab; i++) idx[i] = i;
            std::partial_sort(idx.begin(), idx.begin() + topk, idx.end(), [&](int a, int b) {
                return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
            });
            double mx = logits[idx[0]], s = 0, mabs = 0;
            for (int i = 0; i < n_vocab; i++) { s += std::exp((double) logits[i] - mx); mabs = std::max(mabs, (double) std::fabs(logits[i])); }
            if (step) fputc(',', stdout);
            fputs("{\"top\":[", stdout);
            for (int k = 0; k < topk; k++) {
                printf(k ? ",[%d," : "[%d,", idx[k]);
                print_float(logits[idx[k]]);
                fputc(']', stdout);
            }
            fputs("],\"lse\":", stdout);
            print_float(mx + std::log(s));
            fputs(",\"max_abs\":", stdout);
            print_float(mabs);
            fputc('}', stdout);
            next = idx[0];
            out.push_back(next);
            batch = llama_batch_get_one(&next, 1);
        }
        fputs("],\"greedy_ids\":[", stdout);
        for (size_t i = 0; i < out.size(); i++) printf(i ? ",%d" : "%d", out[i]);
        fputs("]}\n", stdout);
        fflush(stdout);
    }
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
