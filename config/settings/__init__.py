"""Settings package: `base` reads everything from the environment (see .env.example);
`test` adds the test suite's defaults on top."""
