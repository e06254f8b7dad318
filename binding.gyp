{
  "targets": [
    {
      "target_name": "ipc_lab_native",
      "sources": ["main/native/ipc-lab-native.c", "main/native/measure-loops.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-lrt", "-lpthread"] }]
      ]
    }
  ]
}
