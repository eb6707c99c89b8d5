# derivlib's dashboard on a CPU: docker build -t derivlib . && docker run --rm -p 8501:8501 derivlib
# (README.md, "Deploy": the settings, and the CUDA variant)
FROM python:3.11-slim

# g++ builds the compiled Taylor programs (DERIVLIB_FUSE); --build-arg WITH_COMPILER=0 leaves it out.
ARG WITH_COMPILER=1
RUN if [ "$WITH_COMPILER" = "1" ]; then \
        apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*; \
    fi

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# torch from PyTorch's own CPU wheel index: on the public package index its default Linux wheel is the CUDA build
# (several GB of accelerator libraries), which the pin alone does not avoid. Then the other pins (torch already there).
COPY requirements.txt .
RUN pip install "$(grep '^torch==' requirements.txt)" --extra-index-url https://download.pytorch.org/whl/cpu \
    && pip install -r requirements.txt

RUN useradd --create-home --uid 10001 derivlib
COPY --chown=derivlib:derivlib . .
USER derivlib

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).read() != b'ok')"]
CMD ["streamlit", "run", "streamlit_app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
