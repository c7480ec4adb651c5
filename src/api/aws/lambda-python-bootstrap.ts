/**
 * The bootstrap Nimbus ships for python3.* Lambda functions, written beside the zip's files
 * in the app's directory. Standard library only. It listens on $HOST:$PORT (the app
 * runtime's contract, docs/apps.md), imports the module the Handler names once (Lambda's
 * init; a failure is answered to every call as Runtime.ImportModuleError), and answers each
 * POST (an event, JSON) with the function's return value as JSON, or, when it raises, status
 * 500 and Lambda's error object (errorMessage, errorType, requestId, stackTrace), which the
 * dispatcher reads back (src/dispatch/http-event.ts): errorType names the error. Calls run one
 * at a time, as on Lambda (connections are served on threads so that an idle keep-alive
 * connection never blocks another). print() goes to stdout, unbuffered (-u): the platform
 * gives each line to the running invocation's log.
 */
export const PYTHON_BOOTSTRAP_FILE = '__nimbus_lambda_bootstrap.py';

export const PYTHON_BOOTSTRAP = String.raw`import http.server, importlib, json, os, sys, threading, time, traceback, uuid

HANDLER, NAME, MEMORY, TIMEOUT_MS, ARN = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
TASK_ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TASK_ROOT)
os.environ.setdefault('LAMBDA_TASK_ROOT', TASK_ROOT)
os.environ.setdefault('AWS_LAMBDA_FUNCTION_NAME', NAME)
os.environ.setdefault('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', str(MEMORY))
os.environ.setdefault('_HANDLER', HANDLER)


class Context:
    def __init__(self, request_id, started):
        self.aws_request_id = request_id
        self.function_name = NAME
        self.function_version = '$LATEST'
        self.invoked_function_arn = ARN
        self.memory_limit_in_mb = MEMORY
        self.log_group_name = '/aws/lambda/' + NAME
        self.log_stream_name = 'nimbus'
        self._deadline = started + TIMEOUT_MS / 1000.0

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_body(error_type, message, request_id, trace):
    return {'errorMessage': message[:4096], 'errorType': error_type, 'requestId': request_id, 'stackTrace': trace[-50:]}


def load():
    module_name, _, func_name = HANDLER.rpartition('.')
    try:
        module = importlib.import_module(module_name.replace('/', '.'))
    except Exception as e:
        return None, ('Runtime.ImportModuleError', "Unable to import module '%s': %s" % (module_name, e))
    func = getattr(module, func_name, None)
    if not callable(func):
        return None, ('Runtime.HandlerNotFound', "Handler '%s' missing on module '%s'" % (func_name, module_name))
    return func, None


LOCK = threading.Lock()
FUNC, INIT_ERROR = None, None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def answer(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header('content-type', 'application/json')
        self.send_header('content-length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get('content-length') or 0)
        raw = self.rfile.read(length) if length else b''
        request_id = str(uuid.uuid4())
        with LOCK:
            status, value = self.run(raw, request_id)
            sys.stdout.flush()
        self.answer(status, value)

    def run(self, raw, request_id):
        if INIT_ERROR is not None:
            print('[ERROR] %s: %s' % INIT_ERROR)
            return 500, error_body(INIT_ERROR[0], INIT_ERROR[1], request_id, [])
        try:
            event = json.loads(raw) if raw else {}
        except ValueError as e:
            return 500, error_body('Runtime.UnmarshalError', 'Unable to unmarshal input: %s' % e, request_id, [])
        try:
            result = FUNC(event, Context(request_id, time.monotonic()))
        except Exception as e:
            tb = traceback.extract_tb(e.__traceback__)[1:]
            print('[ERROR] %s: %s' % (type(e).__name__, e))
            print(''.join(traceback.format_list(tb)).rstrip())
            return 500, error_body(type(e).__name__, str(e), request_id, [l.rstrip('\n') for l in traceback.format_list(tb)])
        try:
            json.dumps(result)
        except (TypeError, ValueError) as e:
            return 500, error_body('Runtime.MarshalError', 'Unable to marshal response: %s' % e, request_id, [])
        return 200, result


server = http.server.ThreadingHTTPServer((os.environ.get('HOST', '127.0.0.1'), int(os.environ['PORT'])), Handler)
server.daemon_threads = True
FUNC, INIT_ERROR = load()
sys.stdout.flush()
server.serve_forever()
`;
