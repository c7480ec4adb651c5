# The Python app of the apps scenario: http.server answering "hello" on $HOST:$PORT.
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Hello(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        self.send_response(200)
        self.send_header('content-length', '5')
        self.end_headers()
        self.wfile.write(b'hello')

    def log_message(self, *args):
        pass


HTTPServer((os.environ.get('HOST', '127.0.0.1'), int(os.environ['PORT'])), Hello).serve_forever()
