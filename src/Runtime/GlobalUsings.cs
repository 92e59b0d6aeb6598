global using System.Buffers;
global using System.IO.Pipelines;
global using System.Collections.Concurrent;
global using System.Runtime.InteropServices;
