// 2×2 max pooling with stride 2: A[n,c,y,x] = max of A_prev[n, c, 2y + i, 2x + j] over i, j ∈ {0, 1}.
// An odd last row or column is dropped (PyTorch's floor). Ties go to the first of (0,0), (0,1), (1,0),
// (1,1). Backward: dA_prev is dA at the winner of each window, 0 elsewhere.
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Max pooling over 2×2 windows, stride 2.</summary>
public sealed class MaxPool2D : ILayer
{
    private Matrix? output;  // A [m, C·(H/2)·(W/2)]
    private Matrix? dInput;  // [m, C·H·W]
    private int[] winners = [];  // [m, C·(H/2)·(W/2)]: index in the example's input row of each window's maximum

    public MaxPool2D(MapShape input)
    {
        if (input.Channels < 1 || input.Height < 2 || input.Width < 2)
        {
            throw new ArgumentException($"2×2 pooling needs maps of at least 2×2; these are {input}.");
        }
        Input = input;
        Output = new MapShape(input.Channels, input.Height / 2, input.Width / 2);
    }

    public MapShape Input { get; }

    public MapShape Output { get; }

    public LayerSpec Spec => new LayerSpec("maxpool", Input.Size, Output.Size).WithMap(Input);

    public IReadOnlyList<Parameter> Parameters => [];

    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Input.Size, "input");
        int m = input.Rows;
        Matrix a = Matrix.Ensure(ref output, m, Output.Size);
        if (winners.Length < m * Output.Size)
        {
            winners = new int[m * Output.Size];
        }
        float[] x = input.Storage, y = a.Storage;
        int[] win = winners;
        Workers.For(ConvKernels.PieceCount(m), piece =>
        {
            int pieces = ConvKernels.PieceCount(m), per = (m + pieces - 1) / pieces;
            for (int n = piece * per; n < Math.Min(m, (piece + 1) * per); n++)
            {
                int inRow = n * Input.Size, outRow = n * Output.Size;
                for (int c = 0; c < Input.Channels; c++)
                {
                    for (int yo = 0; yo < Output.Height; yo++)
                    {
                        for (int xo = 0; xo < Output.Width; xo++)
                        {
                            // A = max over the window; the first maximum wins a tie.
                            int best = Input.Index(c, 2 * yo, 2 * xo);
                            float max = x[inRow + best];
                            Consider(Input.Index(c, 2 * yo, (2 * xo) + 1));
                            Consider(Input.Index(c, (2 * yo) + 1, 2 * xo));
                            Consider(Input.Index(c, (2 * yo) + 1, (2 * xo) + 1));
                            int o = outRow + Output.Index(c, yo, xo);
                            y[o] = max;
                            win[o] = best;

                            void Consider(int at)
                            {
                                if (x[inRow + at] > max)
                                {
                                    max = x[inRow + at];
                                    best = at;
                                }
                            }
                        }
                    }
                }
            }
        });
        return a;
    }

    public Matrix? Backward(Matrix dOutput, bool computeInputGradient)
    {
        Dense.CheckWidth(dOutput, Output.Size, "dA");
        if (!computeInputGradient)
        {
            return null;
        }
        int m = dOutput.Rows;
        // dA_prev = dA at each window's winner, 0 elsewhere
        Matrix dA = Matrix.Ensure(ref dInput, m, Input.Size);
        dA.Span.Clear();
        float[] dy = dOutput.Storage, dx = dA.Storage;
        for (int n = 0; n < m; n++)
        {
            int inRow = n * Input.Size, outRow = n * Output.Size;
            for (int o = 0; o < Output.Size; o++)
            {
                dx[inRow + winners[outRow + o]] = dy[outRow + o];
            }
        }
        return dA;
    }
}
