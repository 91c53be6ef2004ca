package server

import (
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
)

// NewLogger logs human-readable lines on a terminal and JSON otherwise, so
// that a person reads the console and a log shipper reads the file.
func NewLogger(cfg LogConfig) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	console := cfg.Format == "console" || (cfg.Format == "auto" && term.IsTerminal(int(os.Stderr.Fd())))
	var zc zap.Config
	if console {
		zc = zap.NewDevelopmentConfig()
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		zc.DisableStacktrace = true
	} else {
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
		zc.Sampling = nil
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	return zc.Build()
}
